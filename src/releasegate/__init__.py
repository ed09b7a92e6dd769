"""releasegate: a release control plane for regulated finance."""

__version__ = "0.1.0"
