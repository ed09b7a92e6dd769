"""`releasegate demo` as a user runs it: a real process, real pytest and Bandit runs."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    shutil.which("git") is None, reason="the demo commits the example service with git"
)


def releasegate(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("releasegate")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELEASEGATE_")}
    env["COLUMNS"] = "200"
    return subprocess.run(
        [str(script), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600,
        check=False,
    )


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("demo") / "run"
    result = releasegate("demo", "--workdir", str(workdir), cwd=workdir.parent)
    return workdir, result


def test_demo_goes_from_deny_to_allow(demo_run):
    workdir, result = demo_run
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    out = result.stdout
    assert "demo: first decision deny, second allow" in out
    assert out.index("-> production: deny") < out.index("-> production: allow")
    assert "ledger verified" in out


def test_demo_first_decision_reasons(demo_run):
    workdir, _ = demo_run
    db = sqlite3.connect(workdir / ".releasegate" / "releasegate.db")
    first, second = [json.loads(r[0]) for r in db.execute(
        "select decision_json from decisions order by evaluated_at")]
    db.close()
    results = {r["control_id"]: r for r in first["results"]}
    assert first["outcome"] == "deny"
    assert first["risk"]["tier"] == "critical"
    assert results["SOD-3"]["outcome"] == "fail"
    assert results["VUL-1"]["outcome"] == "fail"
    assert any("B324" in v["msg"] for v in results["VUL-1"]["violations"])
    assert results["TST-1"]["outcome"] == "pass"
    final = {r["control_id"]: r["outcome"] for r in second["results"]}
    assert second["outcome"] == "allow"
    assert final["VUL-1"] == "waived"
    assert final["SOD-3"] == "pass"


def test_demo_evidence_comes_from_real_tools(demo_run):
    workdir, _ = demo_run
    junit = (workdir / "junit.xml").read_text()
    sarif = json.loads((workdir / "bandit.sarif").read_text())
    assert 'tests="5"' in junit
    assert sarif["runs"][0]["tool"]["driver"]["name"] == "Bandit"
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == ["B324"]


def test_demo_ledger_verifies_from_cli(demo_run):
    workdir, _ = demo_run
    result = releasegate("ledger", "verify", "--output", "json", cwd=workdir)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True
    # log key, release, 2 evidence, decision, 3 approvals, exception requested + approved, decision
    assert report["entries"] == 11


def test_demo_refuses_non_empty_folder(tmp_path):
    (tmp_path / "keep.txt").write_text("x")
    result = releasegate("demo", "--workdir", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 2
    assert "is not empty" in result.stderr
    assert "Traceback" not in result.stderr


def test_demo_decisions_replay_same(demo_run):
    workdir, _ = demo_run
    db = sqlite3.connect(workdir / ".releasegate" / "releasegate.db")
    decisions = [r[0] for r in db.execute("select id from decisions order by evaluated_at")]
    db.close()
    assert len(decisions) == 2
    for decision in decisions:
        result = releasegate("decision", "replay", decision, "--output", "json", cwd=workdir)
        assert result.returncode == 0, result.stdout + result.stderr
        assert json.loads(result.stdout)["same"] is True
