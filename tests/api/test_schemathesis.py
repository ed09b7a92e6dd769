"""Generated requests from the published OpenAPI document never cause a server error.

Schemathesis reads /api/v1/openapi.json and sends cases built from each
operation's schema, with a token that has every role, to the application
in process (ASGI). Each case must get a response below 500.
"""

from __future__ import annotations

import pytest
import schemathesis
from http_support import make_workspace, person_token
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from releasegate.api.app import create_app
from releasegate.api.identity_auth import IdentityTokenVerifier
from releasegate.service.app import Application
from releasegate.settings import load_settings


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("schemathesis")
    make_workspace(root)
    # Every person has the viewer, submitter and approver roles. These global roles add the rest.
    (root / "identities.yaml").write_text(
        "apiVersion: releasegate/v1\nkind: Identities\n"
        "people:\n  erin: {roles: [release_manager, admin, auditor]}\n",
        encoding="utf-8",
    )
    token = person_token(root, "erin", name="all-roles")
    application = Application(load_settings(home=root, environ={}))
    server = create_app(application, IdentityTokenVerifier(application), max_upload_bytes=64 * 1024)
    yield server, token
    application.close()


@pytest.fixture(scope="module")
def api_schema(served):
    server, _token = served
    return schemathesis.openapi.from_asgi("/api/v1/openapi.json", server)


@pytest.fixture(scope="module")
def token(served):
    return served[1]


def test_generated_requests_never_get_a_server_error(api_schema, token):
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 25
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=15,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case):
            case.call_and_validate(
                headers={"Authorization": f"Bearer {token}"}, checks=[not_a_server_error]
            )

        check()
