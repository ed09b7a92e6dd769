"""`releasegate demo`: one payments release from denied to allowed, with real tool output.

The demo copies the sample organisation from `examples/` into a new folder and
commits the example service to a fresh git repository. It runs the service's
test suite with pytest (JUnit XML) and the Bandit scanner (SARIF 2.1.0), then
drives the same use cases that the CLI commands call.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from rich.rule import Rule

from releasegate.cli.output import console, styled, table
from releasegate.errors import ConfigurationError, InputError, ReleasegateError

if TYPE_CHECKING:
    from releasegate.evidence.interface import VerificationContext
    from releasegate.service.app import Application

DEMO_VERSION = "2.4.0"
DEGRADED_VERSION = "2.4.1"
AUTHOR = "alice"

# Synthetic health indicators of the demo's rollouts. The second release
# lowers the settlement completion rate of its production canary.
HEALTHY_METRICS = """\
seed: 11
indicators:
  http-error-rate:
    baseline: {mean: 0.004, sd: 0.001}
    canary: {mean: 0.004, sd: 0.001}
    samples: 60
  settlement-completion-rate:
    baseline: {mean: 0.995, sd: 0.001}
    canary: {mean: 0.995, sd: 0.001}
    samples: 60
"""
DEGRADED_METRICS = HEALTHY_METRICS + """\
    environments:
      production:
        baseline: {mean: 0.995, sd: 0.001}
        canary: {mean: 0.968, sd: 0.003}
        samples: 60
"""


def _locate_examples(examples: Path | None) -> Path:
    candidates = [examples] if examples else []
    if os.environ.get("RELEASEGATE_EXAMPLES"):
        candidates.append(Path(os.environ["RELEASEGATE_EXAMPLES"]))
    candidates.append(Path(__file__).resolve().parents[3] / "examples")
    for candidate in candidates:
        if candidate is not None and (candidate / "catalog.yaml").is_file():
            return candidate.resolve()
    raise ConfigurationError(
        "the examples folder (with catalog.yaml) was not found",
        hint="run the demo from a source checkout installed with 'pip install -e', "
        "or pass --examples PATH",
    )


def _step(number: int, text: str) -> None:
    console.print()
    console.print(Rule(f"[bold]{number}. {text}[/bold]", align="left"))


def _run(
    command: list[str], *, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=600
    )


def _git_commit(repo: Path) -> str:
    env = _git_env()
    git = shutil.which("git")
    if git is None:
        raise ConfigurationError(
            "git is not installed", hint="install git; the demo commits the example service"
        )
    for command in (
        [git, "init", "--quiet", "--initial-branch=main"],
        [git, "add", "--all"],
        [
            git,
            "-c",
            "commit.gpgsign=false",
            "commit",
            "--quiet",
            "-m",
            "Round settlement batches to the cent",
        ],
    ):
        result = _run(command, cwd=repo, env=env)
        if result.returncode != 0:
            raise ConfigurationError(f"'{' '.join(command[1:3])}' failed: {result.stderr.strip()}")
    return _run([git, "rev-parse", "HEAD"], cwd=repo, env=env).stdout.strip()


def _git_env() -> dict[str, str]:
    return {
        **os.environ,
        "GIT_AUTHOR_NAME": AUTHOR,
        "GIT_AUTHOR_EMAIL": f"{AUTHOR}@acme.example",
        "GIT_COMMITTER_NAME": AUTHOR,
        "GIT_COMMITTER_EMAIL": f"{AUTHOR}@acme.example",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
    }


def _build_artifact(source: Path) -> bytes:
    """Pack the service source into a reproducible tar archive (sorted, zero mtimes)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for path in sorted(
            p for p in source.rglob("*") if p.is_file() and "__pycache__" not in p.parts
        ):
            info = tarfile.TarInfo(path.relative_to(source).as_posix())
            data = path.read_bytes()
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _run_tools(service_dir: Path, out: Path) -> tuple[Path, Path]:
    junit = out / "junit.xml"
    sarif = out / "bandit.sarif"
    tests = _run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}"],
        cwd=service_dir,
    )
    if not junit.is_file():
        raise ConfigurationError(
            f"pytest produced no JUnit report: {tests.stderr.strip() or tests.stdout.strip()}",
            hint="install the demo extras: pip install -e '.[demo]'",
        )
    console.print(f"pytest: {tests.stdout.strip().splitlines()[-1]}")
    scan = _run(
        [sys.executable, "-m", "bandit", "-q", "-r", "src", "-f", "sarif", "-o", str(sarif)],
        cwd=service_dir,
    )
    # Bandit exits 1 when it finds something; only a missing report is a failure.
    if not sarif.is_file():
        raise ConfigurationError(
            f"bandit produced no SARIF report: {scan.stderr.strip()}",
            hint="install the demo extras: pip install -e '.[demo]'",
        )
    console.print(f"bandit: SARIF report written ({sarif.stat().st_size} bytes)")
    return junit, sarif


def _next_allowed_start(app: Application, service: str) -> datetime:
    """Return when a critical release of `service` may next start, by the example calendar."""
    from releasegate.calendar import ServiceCalendar, load_calendars
    from releasegate.model import RiskTier

    calendars = load_calendars(app.settings.resolved_calendar, required=True)
    schedule = ServiceCalendar(calendars, app.catalog.service(service), "production")
    planned = schedule.next_allowed(RiskTier.CRITICAL, app.clock(), timedelta(minutes=60))
    if planned is None:
        raise ConfigurationError(
            f"the example calendar allows no critical release of {service} within a year",
            hint="check the freezes and windows in examples/calendars.yaml",
        )
    return planned


def _rollout(
    app: Application, folder: Path, release_id: str, metrics: str, planned: datetime, name: str
) -> str:
    """Run a rollout with the simulator target and synthetic metrics; return its status."""
    from releasegate.cli.rollout import print_status
    from releasegate.service.rollouts import (
        RolloutConfig,
        rollout_status,
        run_controller,
        start_rollout,
    )

    metrics_file = folder / f"metrics-{name}.yaml"
    metrics_file.write_text(metrics, encoding="utf-8")
    config = RolloutConfig(
        target={"kind": "simulator", "journal": str(folder / "simulator.jsonl")},
        metrics={"kind": "synthetic", "path": str(metrics_file)},
        time_scale=0.0,
        planned_start=planned,
    )
    started = start_rollout(app, release_id, config=config, started_by="pipeline")
    console.print(
        f"rollout {started['id']}: {started['strategy']}, waves "
        + " then ".join(", ".join(w["regions"]) for w in started["waves"])
        + " (bake times scaled to zero for the demo)"
    )
    run_controller(app, rollout_id=started["id"])
    status = rollout_status(app, started["id"])
    print_status(status)
    return str(status["status"])


def _second_release(
    app: Application,
    folder: Path,
    manifest_path: Path,
    evidence: list[Path],
    commit: str,
    context: VerificationContext,
) -> str:
    """Create, evidence, approve and waive the second release as for the first."""
    from releasegate.model import ApprovalDecision
    from releasegate.service.approvals import record_approval
    from releasegate.service.evidence import add_evidence
    from releasegate.service.exceptions import decide_exception, request_exception
    from releasegate.service.releases import create_release, load_manifest

    second_manifest = folder / "release-2.yaml"
    second_manifest.write_text(
        manifest_path.read_text(encoding="utf-8").replace(
            f'version: "{DEMO_VERSION}"', f'version: "{DEGRADED_VERSION}"'
        ),
        encoding="utf-8",
    )
    release = create_release(app, load_manifest(second_manifest), source=str(second_manifest))
    for path in evidence:
        add_evidence(app, release.id, path, commit=commit, context=context)
    for approver in ("bob", "dana", "erin"):
        record_approval(app, release.id, approver=approver, decision=ApprovalDecision.APPROVE)
    exception = request_exception(
        app,
        control_id="VUL-1",
        requester=AUTHOR,
        justification="Same MD5 batch key as in the previous release; replacement is planned "
        "in CHG-20470.",
        expires_in=timedelta(days=14),
        release_id=release.id,
        finding="B324",
        compensating_controls=(
            "batch keys are compared server-side with the stored batch content",
        ),
    )
    decide_exception(app, exception.id, approver="farid", approve=True)
    console.print(
        f"release [bold]{release.id}[/bold]: payments-api {DEGRADED_VERSION}, evidence, "
        "three approvals and the VUL-1 exception as before"
    )
    return release.id


def run_demo(*, workdir: Path | None, examples: Path | None) -> int:
    """Run the demo and return the exit code (0 when every step behaved as expected)."""
    from releasegate.cli.main import print_decision
    from releasegate.model import ApprovalDecision, DecisionOutcome
    from releasegate.service.app import Application
    from releasegate.service.approvals import record_approval
    from releasegate.service.evidence import add_evidence
    from releasegate.service.exceptions import decide_exception, request_exception
    from releasegate.service.gate import evaluate_gate
    from releasegate.service.ledger import initialise_ledger, release_chain, verify
    from releasegate.service.releases import create_release, load_manifest
    from releasegate.settings import load_settings

    source = _locate_examples(examples)
    folder = (workdir or Path(tempfile.mkdtemp(prefix="releasegate-demo-"))).resolve()
    if folder.exists() and any(folder.iterdir()):
        raise InputError(
            f"{folder} is not empty", source="--workdir", hint="pass a new or empty folder"
        )
    folder.mkdir(parents=True, exist_ok=True)

    _step(1, f"Sample organisation copied to {folder}")
    shutil.copy2(source / "catalog.yaml", folder / "catalog.yaml")
    shutil.copy2(source / "calendars.yaml", folder / "calendars.yaml")
    shutil.copytree(
        source / "policies", folder / "policies", ignore=shutil.ignore_patterns("*_test.rego")
    )
    service_dir = folder / "payments-service"
    shutil.copytree(
        source / "payments-service",
        service_dir,
        ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"),
    )
    settings = load_settings(home=folder, environ={})
    app = Application(settings)
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    app.database.initialise()
    initialise_ledger(app)
    console.print(
        f"database {settings.resolved_database_url}, blobs in {settings.resolved_blob_dir}"
    )

    _step(2, "Build payments-api: signed commit, package, test (pytest) and scan (Bandit)")
    from releasegate.cli.demo_integrity import sign_head_commit, write_integrity_evidence

    _git_commit(service_dir)
    commit, allowed_signers = sign_head_commit(service_dir, _git_env(), AUTHOR)
    digest = hashlib.sha256(_build_artifact(service_dir / "src")).hexdigest()
    junit, sarif = _run_tools(service_dir, folder)
    manifest_path = folder / "release.yaml"
    manifest_path.write_text(
        (source / "releases" / "payments-api.yaml")
        .read_text(encoding="utf-8")
        .replace("{version}", DEMO_VERSION)
        .replace("{commit}", commit)
        .replace("{digest}", digest),
        encoding="utf-8",
    )
    console.print(f"commit {commit}, artifact sha256:{digest}")
    integrity_files, context = write_integrity_evidence(
        folder, service_dir, commit=commit, digest=f"sha256:{digest}",
        allowed_signers=allowed_signers,
    )
    console.print(
        "signed the commit (SSH), the artifact and its SLSA provenance (Ed25519), "
        "scanned for secrets (detect-secrets)"
    )

    _step(3, "Create the release from its manifest")
    release = create_release(app, load_manifest(manifest_path), source=str(manifest_path))
    console.print(
        f"release [bold]{release.id}[/bold]: payments-api {DEMO_VERSION}, "
        f"change type normal, author {AUTHOR}"
    )

    _step(4, "Attach the evidence produced above")
    rows = []
    for path in (junit, sarif, *integrity_files):
        record = add_evidence(app, release.id, path, commit=commit, context=context)
        rows.append(
            [
                record.id,
                record.format,
                record.filename,
                ", ".join(f"{k}={v}" for k, v in record.summary.items()),
                record.sha256[:16],
            ]
        )
    console.print(table(None, ["evidence", "format", "file", "summary", "sha256"], rows))

    _step(5, "Ask the gate about production, at the next time the change calendar allows")
    planned = _next_allowed_start(app, "payments-api")
    console.print(f"planned deployment: {planned:%Y-%m-%d %H:%M} UTC (a one-hour rollout)")
    first = evaluate_gate(app, release.id, "production", at=planned)
    print_decision(first)

    _step(6, "Approvals from people who did not write the change")
    approvers = [
        ("bob", "engineering approver"),
        ("dana", "business control owner"),
        ("erin", "CAB member"),
    ]
    for approver, role in approvers:
        approval = record_approval(
            app,
            release.id,
            approver=approver,
            decision=ApprovalDecision.APPROVE,
            comment=f"approved as {role}",
        )
        console.print(f"{approval.approver} ({role}) approved: {approval.id}")

    _step(7, "Deal with the finding: a scoped, time-boxed exception approved by risk")
    exception = request_exception(
        app,
        control_id="VUL-1",
        requester=AUTHOR,
        justification="MD5 derives a batch idempotency key only; it protects no secret and "
        "no integrity decision. Replacement with SHA-256 is planned in CHG-20470.",
        expires_in=timedelta(days=14),
        release_id=release.id,
        finding="B324",
        compensating_controls=(
            "batch keys are compared server-side with the stored batch content",
        ),
    )
    console.print(f"{AUTHOR} requested {exception.id} for VUL-1 finding B324 (expires in 14 days)")
    try:
        decide_exception(app, exception.id, approver=AUTHOR, approve=True)
    except ReleasegateError as error:
        console.print(f"[dim]{AUTHOR} tries to approve her own request:[/dim] {error.message}")
    approved = decide_exception(app, exception.id, approver="farid", approve=True)
    console.print(f"farid (operational risk) {approved.status.value} {approved.id}")

    _step(8, "Ask the gate again")
    second = evaluate_gate(app, release.id, "production", at=planned)
    print_decision(second)

    _step(9, "Roll the release out: environments, then two regions with canary steps")
    healthy = _rollout(app, folder, release.id, HEALTHY_METRICS, planned, "healthy")

    _step(10, f"A second release, {DEGRADED_VERSION}, whose settlement rate drops in the canary")
    second_release = _second_release(
        app, folder, manifest_path, [junit, sarif, *integrity_files], commit, context
    )
    degraded = _rollout(app, folder, second_release, DEGRADED_METRICS, planned, "degraded")

    _step(11, "Verify the ledger and show this release's chain")
    report = verify(app)
    if report.ok:
        console.print(
            f"[green]ledger verified[/green]: {report.size} entries, root {report.root_hash}"
        )
    else:
        for problem in report.problems:
            console.print(f"[red]{problem}[/red]")
    entries = release_chain(app, release.id)
    console.print(
        table(
            f"ledger entries of {release.id}",
            ["index", "type", "leaf hash"],
            [[e.index, e.entry_type, e.leaf_hash[:16]] for e in entries],
        )
    )
    app.close()

    expected = (
        first.outcome is DecisionOutcome.DENY
        and second.outcome is DecisionOutcome.ALLOW
        and healthy == "succeeded"
        and degraded == "rolled_back"
    )
    console.print()
    console.print(
        f"demo: first decision {styled(first.outcome.value)}, "
        f"second {styled(second.outcome.value)}; rollout of {DEMO_VERSION} {styled(healthy)}, "
        f"of {DEGRADED_VERSION} {styled(degraded)}; state kept in {folder}"
    )
    return 0 if expected and report.ok else 1
