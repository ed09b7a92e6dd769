"""An exported bundle verifies in a fresh virtual environment with only the verifier's packages.

The environment is created without system site packages and gets only
`cryptography` and `rfc8785` from pip; the package's source folder is put
on PYTHONPATH. Because SQLAlchemy, Typer, Rich, pydantic and regopy are not
installed there, the run also proves that the verifier never imports them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from tests.e2e.test_audit_bundle import Workspace, export, make_release, rewrite, ws  # noqa: F401

SOURCE = Path(__file__).resolve().parents[2] / "src"
VERIFIER_DEPENDENCIES = ("cryptography>=42", "rfc8785>=0.1.4")


@pytest.fixture(scope="module")
def verifier_python(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("verifier-venv")
    venv.EnvBuilder(with_pip=True, system_site_packages=False, clear=True).create(folder)
    python = folder / "bin" / "python"
    try:
        installed = subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--no-input",
                *VERIFIER_DEPENDENCIES,
            ],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.skip(
            "pip could not install cryptography and rfc8785 within 300 s (no package index?)"
        )
    if installed.returncode != 0:
        pytest.skip(
            "pip could not install cryptography and rfc8785 into a fresh virtual environment "
            f"(no package index or local wheel available): {installed.stderr.strip()[-300:]}"
        )
    return python


def run_verifier(python: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(SOURCE),
        "PYTHONNOUSERSITE": "1",
    }
    return subprocess.run(
        [str(python), "-m", "releasegate.ledger.audit", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_fresh_environment_lacks_server_packages(verifier_python, tmp_path):
    probe = subprocess.run(
        [
            str(verifier_python),
            "-c",
            "import importlib.util as u; print(sorted(m for m in "
            "('sqlalchemy', 'typer', 'rich', 'pydantic', 'regopy', 'alembic', 'yaml') "
            "if u.find_spec(m)))",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={"PYTHONNOUSERSITE": "1", "PATH": os.environ.get("PATH", "")},
    )
    assert probe.stdout.strip() == "[]"
    assert sys.prefix != str(verifier_python.parents[1])


def test_bundle_verifies_offline(verifier_python, ws, tmp_path):  # noqa: F811
    bundle = export(ws, make_release(ws))
    result = run_verifier(
        verifier_python, "verify", str(bundle), "--key", str(ws.log_key), cwd=tmp_path
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "bundle verified: release rel-" in result.stdout
    assert "FAIL" not in result.stdout
    assert "warning" not in result.stdout


def test_edited_bundle_fails_offline(verifier_python, ws, tmp_path):  # noqa: F811
    bundle = export(ws, make_release(ws))
    with zipfile.ZipFile(bundle) as archive:
        entry = next(
            n for n in archive.namelist() if n.startswith("entries/") and n != "entries/0.json"
        )
    edited = tmp_path / "edited.zip"
    rewrite(
        bundle,
        edited,
        lambda m, d: (m, d.replace(b'"data":{', b'"data":{"x":1,', 1)) if m == entry else (m, d),
    )

    result = run_verifier(
        verifier_python, "verify", str(edited), "--key", str(ws.log_key), cwd=tmp_path
    )

    assert result.returncode == 1, result.stdout
    assert f"FAIL {'file digest':<21} {entry}: the manifest lists SHA-256" in result.stdout
    assert "bundle verification FAILED" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_missing_bundle_is_input_error_offline(verifier_python, tmp_path):
    result = run_verifier(verifier_python, "verify", str(tmp_path / "absent.zip"), cwd=tmp_path)

    assert result.returncode == 2
    assert result.stderr.startswith(f"error: bundle {tmp_path / 'absent.zip'} not found")
