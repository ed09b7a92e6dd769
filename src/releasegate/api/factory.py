"""Build the server from environment variables, for uvicorn worker processes.

`releasegate serve --workers N` cannot hand an application object to
worker processes, so it sets these variables and names this factory.
"""

from __future__ import annotations

import os

from releasegate.api.app import DEFAULT_MAX_UPLOAD_BYTES, create_app
from releasegate.api.observability import RequestContextMiddleware

UPLOAD_VARIABLE = "RELEASEGATE_SERVE_MAX_UPLOAD_BYTES"
LOG_LEVEL_VARIABLE = "RELEASEGATE_SERVE_LOG_LEVEL"
TOKEN_CACHE_VARIABLE = "RELEASEGATE_SERVE_TOKEN_CACHE_SECONDS"  # noqa: S105 - a variable name


def app_from_environment() -> RequestContextMiddleware:
    """Create one worker's application from RELEASEGATE_* settings and the serve variables."""
    from releasegate.api.identity_auth import IdentityTokenVerifier
    from releasegate.api.observability import configure_json_logging
    from releasegate.api.token_cache import DEFAULT_TTL_SECONDS, CachingTokenVerifier
    from releasegate.service.app import Application
    from releasegate.settings import load_settings

    configure_json_logging(os.environ.get(LOG_LEVEL_VARIABLE, "INFO"))
    application = Application(load_settings())
    application.database.require_schema()
    return create_app(
        application,
        CachingTokenVerifier(
            IdentityTokenVerifier(application),
            ttl_seconds=float(os.environ.get(TOKEN_CACHE_VARIABLE, DEFAULT_TTL_SECONDS)),
        ),
        max_upload_bytes=int(os.environ.get(UPLOAD_VARIABLE, DEFAULT_MAX_UPLOAD_BYTES)),
    )
