"""assetgraph: IT asset management and a CMDB in one platform."""

__version__ = "0.1.0"
