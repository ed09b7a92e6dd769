"""Use cases shared by the CLI and the HTTP API."""

from releasegate.service.app import Application

__all__ = ["Application"]
