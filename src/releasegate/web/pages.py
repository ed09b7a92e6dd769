"""The web pages: dashboard, release detail, approvals inbox, calendar, exceptions, audit.

Every action is a plain HTML form posted to the server, so the pages work
without JavaScript. The browser keeps the API token in an HttpOnly,
SameSite=Strict cookie set by the login form; every form also carries a
token derived from it (double submit), checked before anything changes.
Each page calls the same use cases as the API and checks the same roles.
"""

from __future__ import annotations

import asyncio
import calendar as month_calendar
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from releasegate.api.auth import AuthenticationError, ForbiddenError, Principal, Role, role_names
from releasegate.api.deps import (
    APPROVERS,
    AUDITORS,
    LEDGER_OPERATORS,
    REVOKERS,
    SESSION_COOKIE,
    SUBMITTERS,
    ApiContext,
)
from releasegate.errors import InputError, ReleasegateError
from releasegate.web.charts import bar_chart

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))

# Plain words for the people who read the pages.
VERDICT_WORDS = {
    "allow": "Allowed",
    "deny": "Blocked",
    "pending": "Waiting for approval",
}
RESULT_WORDS = {
    "pass": "Met",
    "fail": "Not met",
    "error": "Could not be checked",
    "waived": "Waived by exception",
    "not_applicable": "Does not apply",
}
templates.env.globals.update(verdict_words=VERDICT_WORDS, result_words=RESULT_WORDS)


def _ctx(request: Request) -> ApiContext:
    ctx: ApiContext = request.app.state.context
    return ctx


def csrf_token(token: str) -> str:
    return hmac.new(token.encode("utf-8"), b"releasegate-form", hashlib.sha256).hexdigest()


def _principal(request: Request) -> Principal | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        principal = _ctx(request).verifier.verify(token)
    except AuthenticationError:
        return None
    request.scope.setdefault("state", {})["identity"] = principal.identity
    return principal


def _need(principal: Principal, roles: tuple[Role, ...]) -> None:
    if not principal.has_any(frozenset(roles)):
        raise ForbiddenError(
            f"{principal.identity} has role(s) {role_names(principal.roles)}; this action needs "
            f"one of: {role_names(frozenset(roles))}",
            hint="ask an administrator for the role",
        )


def _check_form(request: Request, csrf: str) -> None:
    token = request.cookies.get(SESSION_COOKIE, "")
    if not token or not hmac.compare_digest(csrf_token(token), csrf):
        raise ForbiddenError(
            "the form's security token does not match your session",
            hint="reload the page and submit the form again",
        )


def render(request: Request, name: str, principal: Principal | None, **values: Any) -> Response:
    token = request.cookies.get(SESSION_COOKIE, "")
    status_code = int(values.pop("status_code", 200))
    return templates.TemplateResponse(
        request,
        name,
        {
            "principal": principal,
            "csrf": csrf_token(token) if token else "",
            "roles": {r.value for r in principal.roles} if principal else set(),
            **values,
        },
        status_code=status_code,
    )


def _login_redirect(request: Request) -> RedirectResponse:
    return RedirectResponse(f"/login?next={request.url.path}", status_code=303)


def error_page(request: Request, error: ReleasegateError) -> Response:
    from releasegate.api.problems import classify

    status, _slug, title = classify(error)
    if status == 401:
        return _login_redirect(request)
    return render(
        request, "error.html", _principal(request), title=title, error=error, status_code=status
    )


def not_found_page(request: Request) -> Response:
    return render(
        request,
        "error.html",
        _principal(request),
        title="Page not found",
        error=ReleasegateError(
            f"there is no page at {request.url.path}", hint="start again from the dashboard"
        ),
        status_code=404,
    )


def mount_web(api: FastAPI) -> None:
    """Add the pages and the stylesheet to the application."""
    api.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    # Login ---------------------------------------------------------------------

    @api.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_form(request: Request, next: str = "/") -> Response:
        return render(request, "login.html", None, next=_safe_next(next), message=None)

    @api.post("/login", include_in_schema=False)
    def login(request: Request, token: str = Form(...), next: str = Form("/")) -> Response:
        try:
            principal = _ctx(request).verifier.verify(token.strip())
        except AuthenticationError as error:
            return render(
                request,
                "login.html",
                None,
                next=_safe_next(next),
                message=error.message,
                status_code=401,
            )
        response = RedirectResponse(_safe_next(next), status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            token.strip(),
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            max_age=8 * 3600,
        )
        request.scope.setdefault("state", {})["identity"] = principal.identity
        return response

    @api.post("/logout", include_in_schema=False)
    def logout() -> Response:
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    # Dashboard -------------------------------------------------------------------

    @api.get("/", response_class=HTMLResponse, include_in_schema=False)
    def dashboard(request: Request) -> Response:
        from releasegate.service.status import (
            approvals_inbox,
            compliance_posture,
            ledger_size,
            releases_in_flight,
        )

        principal = _principal(request)
        if principal is None:
            return _login_redirect(request)
        app = _ctx(request).application
        posture = compliance_posture(app)
        now = datetime.now(UTC)
        freezes = _freezes(app, now, now + timedelta(days=45))
        return render(
            request,
            "dashboard.html",
            principal,
            in_flight=releases_in_flight(app, limit=20),
            inbox=approvals_inbox(app, principal.identity),
            freezes_now=[f for f in freezes if f["start"] <= _utc(now) < f["end"]],
            freezes_next=[f for f in freezes if f["start"] > _utc(now)][:5],
            posture=posture,
            verdict_chart=bar_chart(
                "Latest decision of each release", list(posture.verdicts.items()), colours=True
            ),
            failing_chart=bar_chart("Controls most often not met", posture.failing_controls)
            if posture.failing_controls
            else None,
            ledger_entries=ledger_size(app),
            overdue_reviews=_overdue_reviews(app),
        )

    # Releases ----------------------------------------------------------------------

    @api.get("/releases/{release_id}", response_class=HTMLResponse, include_in_schema=False)
    def release_page(request: Request, release_id: str) -> Response:
        principal = _principal(request)
        if principal is None:
            return _login_redirect(request)
        return render(
            request, "release.html", principal, **_release_view(request, release_id, principal)
        )

    @api.post("/releases/{release_id}/approve", include_in_schema=False)
    def release_approve(
        request: Request,
        release_id: str,
        csrf: str = Form(""),
        decision: str = Form("approve"),
        comment: str = Form(""),
    ) -> Response:
        from releasegate.model import ApprovalDecision
        from releasegate.service.approvals import record_approval

        principal = _principal(request)
        if principal is None:
            return _login_redirect(request)
        _check_form(request, csrf)
        _need(principal, APPROVERS)
        try:
            verdict = ApprovalDecision(decision)
        except ValueError as exc:
            raise InputError(
                f"unknown decision {decision!r}", source="decision", hint="approve or reject"
            ) from exc
        record_approval(
            _ctx(request).application,
            release_id,
            approver=principal.identity,
            decision=verdict,
            comment=comment.strip() or None,
        )
        return RedirectResponse(f"/releases/{release_id}?done={verdict.value}", status_code=303)

    @api.post("/releases/{release_id}/gate", include_in_schema=False)
    def release_gate(
        request: Request,
        release_id: str,
        csrf: str = Form(""),
        environment: str = Form("production"),
    ) -> Response:
        from releasegate.service.gate import evaluate_gate

        principal = _principal(request)
        if principal is None:
            return _login_redirect(request)
        _check_form(request, csrf)
        _need(principal, SUBMITTERS)
        ctx = _ctx(request)
        with ctx.gate_lock:
            decision = evaluate_gate(ctx.application, release_id, environment)
        ctx.metrics.decisions.labels(decision.outcome.value, decision.environment).inc()
        return RedirectResponse(f"/releases/{release_id}?done=gate", status_code=303)

    @api.get("/releases/{release_id}/evidence/{evidence_id}", include_in_schema=False)
    def evidence_download(request: Request, release_id: str, evidence_id: str) -> Response:
        from releasegate.api.routes.releases import attachment
        from releasegate.service.evidence import load_evidence

        principal = _principal(request)
        if principal is None:
            return _login_redirect(request)
        app = _ctx(request).application
        for record, _facts in load_evidence(app, release_id):
            if record.id == evidence_id:
                return Response(
                    app.blobs.get(record.sha256),
                    media_type="application/octet-stream",
                    headers={"Content-Disposition": attachment(record.filename)},
                )
        return not_found_page(request)

    @api.get("/releases/{release_id}/events", include_in_schema=False)
    async def release_events(request: Request, release_id: str) -> Response:
        """Server-sent events: the release's status and newest decision when they change."""
        from starlette.concurrency import run_in_threadpool

        from releasegate.service.releases import get_release

        principal = _principal(request)
        if principal is None:
            return Response(status_code=401)
        app = _ctx(request).application

        async def stream() -> AsyncIterator[str]:
            last = None
            shown_fingerprint = request.query_params.get("rollout", "")
            for _ in range(600):  # at most ten minutes per connection; the browser reconnects
                if await request.is_disconnected():
                    return
                release = await run_in_threadpool(get_release, app, release_id)
                state = {"status": release.status.value}
                if state != last:
                    yield f"event: status\ndata: {json.dumps(state)}\n\n"
                    last = state
                part = await run_in_threadpool(_rollout_part, app, release_id)
                view = part["rollout_view"]
                if view is not None and view["fingerprint"] != shown_fingerprint:
                    shown_fingerprint = view["fingerprint"]
                    data = {
                        "fingerprint": shown_fingerprint,
                        "progress": view["progress"],
                        "html": str(part["rollout_html"]),
                    }
                    yield f"event: rollout\ndata: {json.dumps(data)}\n\n"
                await asyncio.sleep(1)

        return StreamingResponse(stream(), media_type="text/event-stream")

    # Approvals inbox -----------------------------------------------------------------

    @api.get("/approvals", response_class=HTMLResponse, include_in_schema=False)
    def approvals_page(request: Request) -> Response:
        from releasegate.service.status import approvals_inbox

        principal = _principal(request)
        if principal is None:
            return _login_redirect(request)
        app = _ctx(request).application
        return render(
            request, "approvals.html", principal, inbox=approvals_inbox(app, principal.identity)
        )

    # Calendar --------------------------------------------------------------------------

    @api.get("/calendar", response_class=HTMLResponse, include_in_schema=False)
    def calendar_page(
        request: Request, month: str | None = None, service: str | None = None
    ) -> Response:
        principal = _principal(request)
        if principal is None:
            return _login_redirect(request)
        app = _ctx(request).application
        first = _month(month)
        following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
        from releasegate.service.calendars import calendar_view

        start = datetime.combine(first, datetime.min.time(), tzinfo=UTC)
        end = datetime.combine(following, datetime.min.time(), tzinfo=UTC)
        view = calendar_view(
            app, service=service or None, environment="production", start=start, end=end
        )
        weeks = []
        for week in month_calendar.Calendar(firstweekday=0).monthdatescalendar(
            first.year, first.month
        ):
            days = []
            for day in week:
                day_start, day_end = (
                    _utc(datetime.combine(day, datetime.min.time(), tzinfo=UTC)),
                    _utc(
                        datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
                    ),
                )
                days.append(
                    {
                        "date": day,
                        "in_month": day.month == first.month,
                        "freezes": [
                            f
                            for f in view["freezes"]
                            if f["start"] < day_end and f["end"] > day_start
                        ],
                        "windows": [
                            w
                            for w in view["windows"]
                            if w["start"] < day_end and w["end"] > day_start
                        ],
                    }
                )
            weeks.append(days)
        previous = (first - timedelta(days=1)).replace(day=1)
        return render(
            request,
            "calendar.html",
            principal,
            view=view,
            weeks=weeks,
            month=first,
            previous=previous,
            following=following,
            services=[s.name for s in app.catalog.services],
            service=service or "",
        )

    # Exceptions -------------------------------------------------------------------------

    @api.get("/exceptions", response_class=HTMLResponse, include_in_schema=False)
    def exceptions_page(request: Request) -> Response:
        from releasegate.service.exceptions import list_exceptions

        principal = _principal(request)
        if principal is None:
            return _login_redirect(request)
        app = _ctx(request).application
        return render(
            request,
            "exceptions.html",
            principal,
            exceptions=list_exceptions(app),
            now=datetime.now(UTC),
        )

    @api.post("/exceptions/{exception_id}/{action}", include_in_schema=False)
    def exception_action(
        request: Request,
        exception_id: str,
        action: str,
        csrf: str = Form(""),
        reason: str = Form(""),
    ) -> Response:
        from releasegate.service.exceptions import decide_exception, revoke_exception

        principal = _principal(request)
        if principal is None:
            return _login_redirect(request)
        _check_form(request, csrf)
        app = _ctx(request).application
        if action in ("approve", "reject"):
            _need(principal, APPROVERS)
            decide_exception(
                app, exception_id, approver=principal.identity, approve=action == "approve"
            )
        elif action == "revoke":
            _need(principal, REVOKERS)
            revoke_exception(app, exception_id, identity=principal.identity, reason=reason)
        else:
            return not_found_page(request)
        return RedirectResponse("/exceptions", status_code=303)

    # Audit -------------------------------------------------------------------------------

    @api.get("/audit", response_class=HTMLResponse, include_in_schema=False)
    def audit_page(request: Request) -> Response:
        return _audit(request, verification=None)

    @api.post("/audit/verify", response_class=HTMLResponse, include_in_schema=False)
    def audit_verify(request: Request, csrf: str = Form("")) -> Response:
        from releasegate.service.ledger import verify

        principal = _principal(request)
        if principal is None:
            return _login_redirect(request)
        _check_form(request, csrf)
        _need(principal, AUDITORS)
        return _audit(request, verification=verify(_ctx(request).application))

    @api.post("/audit/checkpoint", include_in_schema=False)
    def audit_checkpoint(request: Request, csrf: str = Form("")) -> Response:
        from releasegate.service.ledger import checkpoint

        principal = _principal(request)
        if principal is None:
            return _login_redirect(request)
        _check_form(request, csrf)
        _need(principal, LEDGER_OPERATORS)
        checkpoint(_ctx(request).application)
        return RedirectResponse("/audit", status_code=303)

    @api.get("/releases/{release_id}/audit-bundle", include_in_schema=False)
    def audit_bundle(request: Request, release_id: str) -> Response:
        import tempfile

        from releasegate.api.routes.releases import attachment
        from releasegate.service.audit import export_bundle

        principal = _principal(request)
        if principal is None:
            return _login_redirect(request)
        _need(principal, AUDITORS)
        with tempfile.TemporaryDirectory(prefix="releasegate-bundle-") as folder:
            destination = Path(folder) / "bundle.zip"
            export_bundle(_ctx(request).application, release_id, destination)
            data = destination.read_bytes()
        return Response(
            data,
            media_type="application/zip",
            headers={"Content-Disposition": attachment(f"audit-{release_id}.zip")},
        )


def _audit(request: Request, verification: Any) -> Response:
    from releasegate.service.ledger import latest
    from releasegate.service.releases import list_releases
    from releasegate.service.status import ledger_size

    principal = _principal(request)
    if principal is None:
        return _login_redirect(request)
    app = _ctx(request).application
    stored, opened = latest(app)
    return render(
        request,
        "audit.html",
        principal,
        entries=ledger_size(app),
        stored=stored,
        opened=opened,
        root_b64=__import__("base64").b64encode(opened.checkpoint.root_hash).decode(),
        verification=verification,
        releases=list_releases(app, limit=50),
    )


def _release_view(request: Request, release_id: str, principal: Principal) -> dict[str, Any]:
    from releasegate.service.approvals import list_approvals
    from releasegate.service.evidence import load_evidence
    from releasegate.service.gate import list_decisions
    from releasegate.service.ledger import release_chain
    from releasegate.service.releases import get_release
    from releasegate.service.status import sod_conflict

    app = _ctx(request).application
    release = get_release(app, release_id)
    decisions = list_decisions(app, release.id)
    return {
        "release": release,
        "evidence": [record for record, _ in load_evidence(app, release.id)],
        "approvals": list_approvals(app, release.id),
        "decisions": decisions,
        "decision": decisions[-1] if decisions else None,
        "timeline": release_chain(app, release.id),
        "conflict": sod_conflict(app, release, principal.identity),
        "groups": app.catalog.groups_of(principal.identity),
        "done": request.query_params.get("done"),
        **_rollout_part(app, release.id),
    }


def _overdue_reviews(app: Any) -> list[dict[str, Any]]:
    """Overdue post-release reviews, with the group that owns the service as their owner."""
    from releasegate.service.emergency import list_reviews

    rows = []
    for review in list_reviews(app, state="overdue"):
        service = app.catalog.service(review.service)
        rows.append(
            {
                "review": review,
                "owner": service.owners.engineering if service is not None else "unknown",
                "due": review.due_at.strftime("%Y-%m-%d %H:%M UTC"),
            }
        )
    return rows


def _rollout_part(app: Any, release_id: str) -> dict[str, Any]:
    from releasegate.web.rollout_view import render_fragment, rollout_view

    view = rollout_view(app, release_id)
    return {"rollout_view": view, "rollout_html": render_fragment(templates, view)}


def _freezes(app: Any, start: datetime, end: datetime) -> list[dict[str, Any]]:
    from releasegate.service.calendars import calendar_view

    return list(
        calendar_view(app, service=None, environment="production", start=start, end=end)["freezes"]
    )


def _utc(moment: datetime) -> str:
    """Format a time as the calendar views do, so that text comparison follows time order."""
    from releasegate.calendar.localtime import utc_text

    return utc_text(moment)


def _month(value: str | None) -> date:
    if not value:
        today = datetime.now(UTC).date()
        return today.replace(day=1)
    try:
        year, month = value.split("-")
        return date(int(year), int(month), 1)
    except ValueError as exc:
        raise InputError(
            f"month {value!r} is not YYYY-MM", source="month", hint="e.g. 2026-12"
        ) from exc


def _safe_next(value: str) -> str:
    """Only redirect to a path on this server (no scheme, no host)."""
    if value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"
