"""The support layer every domain app builds on: the one resource declaration and the generic
services behind it (audited CRUD, ETags). Above ``core``/``audit``/``accounts``, below the
domain apps; the API router factory (``api.crud``) and the generic pages (``ui.generic``) read
the same :class:`~assetgraph.framework.spec.Resource`.
"""
