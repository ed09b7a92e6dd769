"""Deploy targets: command, webhook, and Kubernetes and Argo Rollouts against a fake API server.

No Kubernetes cluster runs on this machine, so the Kubernetes tests use a
small fake API server on loopback that stores objects, applies merge and
strategic merge patches (containers merged by name) and records every
request. It checks the requests releasegate sends, not Kubernetes itself.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from releasegate.rollout.targets.command import CommandTarget
from releasegate.rollout.targets.interface import StepAction, TargetError, load_target
from releasegate.rollout.targets.kubernetes import PREVIOUS_ANNOTATION, STEP_ANNOTATION
from releasegate.rollout.targets.simulator import SimulatorTarget
from releasegate.rollout.targets.webhook import WebhookTarget, sign

DIGEST = "sha256:" + "c" * 64


def _action(
    key: str = "rol-1-003",
    action: str = "deploy",
    weight: int = 100,
    regions: tuple[str, ...] = ("eu-west-1",),
) -> StepAction:
    return StepAction(
        key=key,
        action=action,
        rollout_id="rol-1",
        release_id="rel-1",
        service="payments-api",
        version="2.4.0",
        environment="production",
        regions=regions,
        weight=weight,
        artifacts=(("payments-api", DIGEST, "registry.example/payments/payments-api"),),
        plan_weights=(10, 50, 100),
    )


# Simulator and command -------------------------------------------------------------


def test_simulator_journal_and_applied(tmp_path):
    target = SimulatorTarget(tmp_path / "journal.jsonl")

    target.apply(_action("step-a"))

    assert target.applied(_action("step-a")) is True
    assert target.applied(_action("step-b")) is False
    assert [e["key"] for e in target.entries()] == ["step-a"]


def test_simulator_fails_listed_environment(tmp_path):
    target = SimulatorTarget(tmp_path / "journal.jsonl", fail_on=("production",))

    with pytest.raises(TargetError, match="simulated deploy failure in production"):
        target.apply(_action())
    assert target.entries() == []


def test_command_receives_step_variables(tmp_path):
    out = tmp_path / "env.json"
    script = (
        "import json, os, sys; "
        f"json.dump({{k: v for k, v in os.environ.items() if k.startswith('RELEASEGATE_')}}, "
        f"open({str(out)!r}, 'w'))"
    )
    target = CommandTarget([sys.executable, "-c", script])

    facts = target.apply(_action(weight=50, regions=("eu-west-1", "eu-central-1")))

    env = json.loads(out.read_text())
    assert facts["exit_code"] == 0
    assert env["RELEASEGATE_ACTION"] == "deploy"
    assert env["RELEASEGATE_STEP_ID"] == "rol-1-003"
    assert env["RELEASEGATE_WEIGHT"] == "50"
    assert env["RELEASEGATE_REGIONS"] == "eu-west-1,eu-central-1"
    assert json.loads(env["RELEASEGATE_ARTIFACTS"])[0]["digest"] == DIGEST
    assert target.applied(_action()) is None


def test_command_nonzero_exit_fails_with_output():
    target = CommandTarget([sys.executable, "-c", "import sys; sys.exit('helm: release failed')"])

    with pytest.raises(TargetError, match="exited with 1 for deploy in production: helm: release"):
        target.apply(_action())


def test_unknown_target_kind_is_input_error():
    with pytest.raises(Exception, match="unknown deploy target 'ftp'"):
        load_target({"kind": "ftp"})


# Fake HTTP servers ------------------------------------------------------------------


class _Recorder(BaseHTTPRequestHandler):
    server: Any

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length", 0))
        return json.loads(self.rfile.read(length)) if length else None

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.requests.append(("POST", self.path, dict(self.headers), body))
        self._send(self.server.status, {"ok": True})

    def do_GET(self) -> None:
        self.server.requests.append(("GET", self.path, dict(self.headers), None))
        obj = self.server.objects.get(self.path)
        self._send(200 if obj else 404, obj or {"kind": "Status", "code": 404})

    def do_PATCH(self) -> None:
        body = self._body()
        self.server.requests.append(("PATCH", self.path, dict(self.headers), body))
        path = self.path.removesuffix("/status")
        if path not in self.server.objects:
            self._send(404, {"kind": "Status", "code": 404})
            return
        strategic = self.headers["Content-Type"] == "application/strategic-merge-patch+json"
        self.server.objects[path] = _merge(self.server.objects[path], body, strategic)
        self._send(200, self.server.objects[path])


def _merge(target: Any, patch: Any, strategic: bool) -> Any:
    """JSON merge patch (RFC 7386); strategic merge also merges `containers` by name."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        elif strategic and key == "containers":
            merged = {c["name"]: dict(c) for c in result.get(key, [])}
            for container in value:
                merged[container["name"]] = {**merged.get(container["name"], {}), **container}
            result[key] = list(merged.values())
        else:
            result[key] = _merge(result.get(key), value, strategic)
    return result


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    httpd.requests = []  # type: ignore[attr-defined]
    httpd.objects = {}  # type: ignore[attr-defined]
    httpd.status = 200  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


def _url(server: ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


# Webhook ---------------------------------------------------------------------------


def test_webhook_signs_payload(server, monkeypatch):
    monkeypatch.setenv("DEPLOY_SECRET", "s3cret")
    target = WebhookTarget(f"{_url(server)}/hook", secret_env="DEPLOY_SECRET")

    target.apply(_action())

    method, path, headers, body = server.requests[0]
    assert (method, path) == ("POST", "/hook")
    expected = hmac.new(
        b"s3cret", headers["X-Releasegate-Timestamp"].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    assert headers["X-Releasegate-Signature"] == "sha256=" + expected
    assert headers["X-Releasegate-Signature"] == sign(
        b"s3cret", headers["X-Releasegate-Timestamp"], body
    )
    assert headers["Idempotency-Key"] == "rol-1-003"
    assert json.loads(body)["weight"] == 100


def test_webhook_error_status_fails(server, monkeypatch):
    monkeypatch.setenv("DEPLOY_SECRET", "s3cret")
    server.status = 503

    with pytest.raises(TargetError, match="returned HTTP 503 to deploy in production"):
        WebhookTarget(f"{_url(server)}/hook", secret_env="DEPLOY_SECRET").apply(_action())


def test_webhook_without_secret_fails(server, monkeypatch):
    monkeypatch.delenv("DEPLOY_SECRET", raising=False)

    with pytest.raises(TargetError, match="DEPLOY_SECRET is not set"):
        WebhookTarget(f"{_url(server)}/hook", secret_env="DEPLOY_SECRET").apply(_action())
    assert server.requests == []


# Kubernetes Deployment ----------------------------------------------------------------

DEPLOYMENT = "/eu-west-1/apis/apps/v1/namespaces/payments/deployments/payments-api"
ROLLOUT = "/eu-west-1/apis/argoproj.io/v1alpha1/namespaces/payments/rollouts/payments-api"


def _kube(server, kind: str):
    return load_target(
        {
            "kind": kind,
            "url": _url(server) + "/{region}",
            "namespace": "payments",
            "name": "payments-api",
            "token_env": "KUBE_TOKEN",
        }
    )


def _workload(image: str) -> dict:
    return {
        "metadata": {"name": "payments-api", "annotations": {}},
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {"name": "payments-api", "image": image},
                        {"name": "sidecar", "image": "envoy"},
                    ]
                }
            }
        },
    }


def test_deployment_deploy_and_rollback(server, monkeypatch):
    monkeypatch.setenv("KUBE_TOKEN", "token-1")
    server.objects[DEPLOYMENT] = _workload("registry.example/payments/payments-api:2.3.9")
    target = _kube(server, "kubernetes")

    target.apply(_action("step-deploy"))

    deployed = server.objects[DEPLOYMENT]
    containers = {c["name"]: c["image"] for c in deployed["spec"]["template"]["spec"]["containers"]}
    assert containers == {
        "payments-api": f"registry.example/payments/payments-api@{DIGEST}",
        "sidecar": "envoy",
    }
    assert deployed["metadata"]["annotations"][STEP_ANNOTATION] == "step-deploy"
    assert json.loads(deployed["metadata"]["annotations"][PREVIOUS_ANNOTATION]) == {
        "payments-api": "registry.example/payments/payments-api:2.3.9"
    }
    assert server.requests[1][2]["Authorization"] == "Bearer token-1"
    assert server.requests[1][2]["Content-Type"] == "application/strategic-merge-patch+json"
    assert target.applied(_action("step-deploy")) is True
    assert target.applied(_action("step-other")) is False

    target.apply(_action("step-rollback", action="rollback", weight=0))

    rolled = server.objects[DEPLOYMENT]["spec"]["template"]["spec"]["containers"]
    assert rolled[0]["image"] == "registry.example/payments/payments-api:2.3.9"


def test_deployment_rejects_canary_weight(server):
    server.objects[DEPLOYMENT] = _workload("old")

    with pytest.raises(TargetError, match="cannot route 10% of traffic"):
        _kube(server, "kubernetes").apply(_action(weight=10))


def test_deployment_missing_object_fails(server):
    with pytest.raises(TargetError, match="returned HTTP 404"):
        _kube(server, "kubernetes").apply(_action())


# Argo Rollouts ---------------------------------------------------------------------


def test_argo_sets_steps_then_promotes_then_aborts(server):
    server.objects[ROLLOUT] = _workload("registry.example/payments/payments-api:2.3.9")
    target = _kube(server, "argo")

    target.apply(_action("s10", weight=10))

    rollout = server.objects[ROLLOUT]
    assert rollout["spec"]["strategy"]["canary"]["steps"] == [
        {"setWeight": 10},
        {"pause": {}},
        {"setWeight": 50},
        {"pause": {}},
    ]
    images = [c["image"] for c in rollout["spec"]["template"]["spec"]["containers"]]
    assert images == [f"registry.example/payments/payments-api@{DIGEST}", "envoy"]

    server.objects[ROLLOUT]["status"] = {"pauseConditions": [{"reason": "CanaryPauseStep"}]}
    target.apply(_action("s50", weight=50))

    patches = [(r[1], r[3]) for r in server.requests if r[0] == "PATCH"]
    assert patches[-2] == (ROLLOUT + "/status", {"status": {"pauseConditions": None}})
    assert patches[-1][1]["spec"] == {"paused": False}
    assert "pauseConditions" not in server.objects[ROLLOUT]["status"]
    assert target.applied(_action("s50")) is True

    target.apply(_action("rb", action="rollback", weight=0))

    assert server.objects[ROLLOUT]["status"]["abort"] is True
    assert target.applied(_action("rb")) is True
