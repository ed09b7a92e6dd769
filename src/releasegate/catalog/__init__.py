"""Service catalog loading."""

from releasegate.catalog.loader import load_catalog

__all__ = ["load_catalog"]
