"""The web pages in the system Chromium, driven by Playwright, against a real server.

Chromium runs headless from /usr/bin/chromium (never a downloaded browser),
resolves no host name but loopback, and keeps its profile in a temporary
folder. Screenshots of the main pages go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import httpx
import pytest
from http_support import Server, make_workspace, person_token
from support import COMMIT, JUNIT_PASS, MANIFEST, SARIF_CLEAN, attach_integrity

from releasegate.api.auth import Role

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1, EXCLUDE localhost",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"no system Chromium at {CHROMIUM}; install it with 'apt-get install -y chromium'",
    ),
]


@pytest.fixture
def browser(tmp_path_factory, monkeypatch):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    tmp_path_factory.getbasetemp()  # fix pytest's own folder before TMPDIR changes
    # A short path: Chromium's singleton socket path must fit in a Unix socket address.
    profile = Path(tempfile.mkdtemp(prefix="rg-browser-"))
    for name in ("HOME", "TMPDIR", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(name, str(profile))
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()
            shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def served(tmp_path):
    home = tmp_path / "work"
    home.mkdir()
    workspace = make_workspace(home)
    shutil.copy2(Path(__file__).resolve().parents[2] / "examples" / "calendars.yaml", home)
    tokens = {
        who: person_token(home, who, *roles, name=who)
        for who, roles in {
            "alice": (Role.SUBMITTER,),
            "bob": (Role.APPROVER,),
            "dana": (Role.APPROVER,),
            "erin": (Role.APPROVER,),
            "ines": (Role.AUDITOR,),
        }.items()
    }
    server = Server(home, tmp_path / "server.log")
    try:
        yield workspace, server, tokens
    finally:
        server.stop()


def _api(server: Server, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=server.url + "/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=120
    )


def _pending_release(workspace, server: Server, tokens: dict[str, str]) -> str:
    import yaml

    with _api(server, tokens["alice"]) as alice:
        release = alice.post("/releases", json=yaml.safe_load(MANIFEST)).json()["id"]
        attach_integrity(workspace, release)
        for name, text in (("junit.xml", JUNIT_PASS), ("scan.sarif", SARIF_CLEAN)):
            added = alice.post(
                f"/releases/{release}/evidence",
                files={"file": (name, text.encode())},
                data={"commit": COMMIT},
            )
            assert added.status_code == 201, added.text
        decision = alice.post(
            f"/releases/{release}/decisions",
            json={"environment": "production", "at": "2026-12-15T10:00:00Z"},
        ).json()
    assert decision["outcome"] == "pending", decision
    return release


def _log_in(page, server: Server, token: str) -> None:
    page.goto(server.url + "/")
    assert page.url.endswith("/login?next=/")
    page.get_by_label("API token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(server.url + "/")


def test_browser_owner_approves_gate_allows(browser, served):
    workspace, server, tokens = served
    release = _pending_release(workspace, server, tokens)
    for who in ("bob", "erin"):
        with _api(server, tokens[who]) as client:
            assert client.post(f"/releases/{release}/approvals", json={}).status_code == 201

    page = browser.new_page(viewport={"width": 1366, "height": 900})
    _log_in(page, server, tokens["dana"])
    assert "Waiting for your approval" in page.content()
    page.get_by_role("link", name="payments-api 2.4.0").first.click()
    status = page.locator("#release-status")
    assert status.inner_text() == "pending"
    page.get_by_label("Comment (optional)").fill("Settlement impact reviewed")
    page.get_by_role("button", name="Approve").click()
    page.wait_for_selector("text=Your approve was recorded.")

    # The pipeline requests a new decision, and the open page follows through server-sent events.
    with _api(server, tokens["alice"]) as alice:
        decision = alice.post(
            f"/releases/{release}/decisions",
            json={"environment": "production", "at": "2026-12-15T10:00:00Z"},
        ).json()
    assert decision["outcome"] == "allow", decision
    page.wait_for_function(
        "document.getElementById('release-status').textContent === 'allowed'", timeout=15000
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "release-allowed.png"), full_page=True)


def test_browser_main_pages_screenshots(browser, served):
    workspace, server, tokens = served
    release = _pending_release(workspace, server, tokens)
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    _log_in(page, server, tokens["ines"])
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for name, path, heading in (
        ("dashboard", "/", "Dashboard"),
        ("release", f"/releases/{release}", "payments-api 2.4.0"),
        ("approvals", "/approvals", "Approvals inbox"),
        ("calendar", "/calendar?month=2026-12", "Change calendar: December 2026"),
        ("exceptions", "/exceptions", "Exceptions register"),
        ("audit", "/audit", "Audit"),
    ):
        page.goto(server.url + path)
        assert page.locator("h1").inner_text() == heading
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    # Keyboard: the first Tab reaches the skip link.
    page.goto(server.url + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.goto(server.url + "/audit")
    page.get_by_role("button", name="Verify the whole ledger").click()
    page.wait_for_selector("text=Ledger verified")
