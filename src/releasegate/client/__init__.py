"""One client, two transports: the use cases in process, or the same use cases over HTTP.

The CLI gets its client from `connect()`. With `RELEASEGATE_URL` set it gets an
`HttpClient` that calls the server's API with the token in
`RELEASEGATE_TOKEN`; otherwise a `LocalClient` that runs the use cases in
this process against the embedded database. Both return the same model
objects and raise the same errors, so every command prints the same output
whichever transport carried it.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from releasegate.client.interface import Client
    from releasegate.service.app import Application

URL_VARIABLE = "RELEASEGATE_URL"
TOKEN_VARIABLE = "RELEASEGATE_TOKEN"  # noqa: S105 - a variable name


def remote_url() -> str | None:
    return os.environ.get(URL_VARIABLE) or None


def connect(local: Application | None = None) -> Client:
    """Return the HTTP client when RELEASEGATE_URL is set, otherwise the in-process one."""
    url = remote_url()
    if url:
        from releasegate.client.http import HttpClient

        return HttpClient(url, os.environ.get(TOKEN_VARIABLE, ""))
    from releasegate.client.local import LocalClient

    assert local is not None, "the in-process client needs the application"
    return LocalClient(local)
