"""Generic import pages: upload → dry-run report → apply, for any :class:`Importer`.

The uploaded file is kept in the data directory between the preview and the apply step, named
by a random id tied to the user's session, and deleted once applied.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path

from assetgraph.accounts.http import AuthedRequest
from assetgraph.accounts.permissions import has_perm
from assetgraph.core.actor import Actor, Source
from assetgraph.core.errors import ServiceError
from assetgraph.core.importing import Importer

_UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")


class UploadForm(forms.Form):
    """The file to import."""

    file = forms.FileField(help_text="CSV (UTF-8) or XLSX; the first row holds the column names.")


@dataclass(frozen=True)
class ImportKind:
    """One importable thing: URL slug, label, importer class and its documented columns."""

    slug: str
    label: str
    importer: type[Importer]

    @property
    def object_type(self) -> str:
        meta = self.importer.model._meta
        return f"{meta.app_label}.{meta.model_name}"

    @property
    def columns(self) -> list[str]:
        imp = self.importer
        return [imp.key_column, *imp.required_columns, *imp.optional_columns]


def _upload_dir() -> Path:
    directory = Path(settings.DATA_DIR) / "uploads"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


class ImportPages:
    """The upload/preview/apply pages for a set of import kinds."""

    def __init__(self, *kinds: ImportKind) -> None:
        self.kinds = {k.slug: k for k in kinds}

    def urls(self) -> list[URLPattern]:
        return [path("import/<slug:kind>/", login_required(self.view), name="import")]

    def view(self, request: AuthedRequest, kind: str) -> HttpResponse:
        spec = self.kinds.get(kind)
        if spec is None:
            raise Http404
        if not (
            has_perm(request.user, spec.object_type, "add")
            or has_perm(request.user, spec.object_type, "change")
        ):
            if has_perm(request.user, spec.object_type, "view"):
                raise PermissionDenied
            raise Http404
        form = UploadForm(request.POST or None, request.FILES or None)
        report = None
        upload_id = None
        status = 200
        actor = Actor.from_request(request, Source.UI)
        if request.method == "POST" and request.POST.get("upload_id"):
            upload_id = request.POST["upload_id"]
            stored = self._stored(request, upload_id)
            try:
                with stored.open("rb") as handle:
                    report = spec.importer(actor).run(handle, stored.name, dry_run=False)
            except ServiceError as exc:
                messages.error(request, exc.message)
            else:
                if report.applied:
                    stored.unlink(missing_ok=True)
                    request.session.pop(f"upload:{upload_id}", None)
                    counts = report.counts()
                    summary = ", ".join(
                        f"{counts[k]} {k}" for k in ("create", "update", "unchanged")
                    )
                    messages.success(request, f"Imported: {summary}.")
                    upload_id = None
                else:
                    status = 422
        elif request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            suffix = ".xlsx" if upload.name.lower().endswith(".xlsx") else ".csv"
            upload_id = uuid.uuid4().hex
            target = _upload_dir() / f"{upload_id}{suffix}"
            with target.open("wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            request.session[f"upload:{upload_id}"] = target.name
            try:
                with target.open("rb") as handle:
                    report = spec.importer(actor).run(handle, upload.name, dry_run=True)
            except ServiceError as exc:
                messages.error(request, exc.message)
                report = None
            if report is None or not report.ok:
                target.unlink(missing_ok=True)
                upload_id = None
                status = 422 if report is not None else 403
        context = {
            "spec": spec,
            "form": form,
            "report": report.as_dict() if report else None,
            "upload_id": upload_id,
        }
        return render(request, "ui/import.html", context, status=status)

    @staticmethod
    def _stored(request: AuthedRequest, upload_id: str) -> Path:
        name = request.session.get(f"upload:{upload_id}") if _UPLOAD_ID.match(upload_id) else None
        stored = _upload_dir() / name if name else None
        if stored is None or not stored.exists():
            raise Http404("the upload has expired; upload the file again")
        return stored
