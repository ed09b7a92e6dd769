"""Kubernetes targets: a Deployment, or an Argo Rollouts `Rollout`, through the Kubernetes API.

The targets speak the REST API with httpx instead of the official client,
which would add a large dependency for four request types. The API server
URL may contain `{region}`, so each production wave reaches its region's
cluster. The bearer token comes from the environment variable the target
names and is never stored.

Every action writes the step id into the annotation
`releasegate.io/step-id`, which `applied` reads after a controller crash.

Deployment: a deploy sets the container images to the release's artifacts
(`uri@digest`, containers matched by artifact name) with a strategic merge
patch, after saving the images it replaces in `releasegate.io/previous-images`;
a rollback restores them. A Deployment cannot split traffic, so a deploy
with a canary weight below 100 fails; use the Argo target for canaries.

Argo Rollouts: the first deploy of a wave sets the image and the canary
steps (`setWeight` for each weight of the plan, each followed by an
indefinite `pause`); each later deploy promotes the rollout to its next
weight, as `kubectl argo rollouts promote` does (clear
`status.pauseConditions`, set `spec.paused` to false); a rollback aborts the
rollout (`status.abort: true`), which sends all traffic back to the stable
version.
"""

from __future__ import annotations

import json
import os
from typing import Any

import httpx

from releasegate.rollout.targets.interface import StepAction, TargetError

STEP_ANNOTATION = "releasegate.io/step-id"
RELEASE_ANNOTATION = "releasegate.io/release-id"
PREVIOUS_ANNOTATION = "releasegate.io/previous-images"
_STRATEGIC = "application/strategic-merge-patch+json"
_MERGE = "application/merge-patch+json"


class KubernetesTarget:
    """Deploy to a Deployment or an Argo Rollout named in the target settings."""

    def __init__(
        self,
        url: str,
        *,
        namespace: str,
        name: str,
        argo: bool,
        token_env: str,
        timeout: float = 30.0,
    ) -> None:
        self.url = url.rstrip("/")
        self.namespace = namespace
        self.object_name = name
        self.argo = argo
        self.token_env = token_env
        self.timeout = timeout
        self.name = "argo" if argo else "kubernetes"

    # HTTP ------------------------------------------------------------------

    def _path(self, region: str) -> str:
        base = self.url.replace("{region}", region)
        if self.argo:
            return (
                f"{base}/apis/argoproj.io/v1alpha1/namespaces/{self.namespace}"
                f"/rollouts/{self.object_name}"
            )
        return f"{base}/apis/apps/v1/namespaces/{self.namespace}/deployments/{self.object_name}"

    def _request(
        self, method: str, url: str, *, body: dict[str, Any] | None = None, content_type: str = ""
    ) -> dict[str, Any]:
        headers = {"Accept": "application/json"}
        token = os.environ.get(self.token_env)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if body is not None:
            headers["Content-Type"] = content_type
        try:
            response = httpx.request(
                method,
                url,
                headers=headers,
                content=None if body is None else json.dumps(body).encode(),
                timeout=self.timeout,
            )
        except httpx.HTTPError as exc:
            raise TargetError(
                f"the Kubernetes API at {url} did not respond: {exc}",
                hint="check the API server URL and the network path to the cluster",
            ) from exc
        if response.status_code >= 300:
            raise TargetError(
                f"the Kubernetes API returned HTTP {response.status_code} to {method} {url}: "
                f"{response.text[:500]}",
                hint="check the object's name and namespace and the token's permissions",
            )
        result = response.json()
        return result if isinstance(result, dict) else {}

    def _get(self, region: str) -> dict[str, Any]:
        return self._request("GET", self._path(region))

    # Actions ---------------------------------------------------------------

    def apply(self, action: StepAction) -> dict[str, Any]:
        regions = action.regions or ("",)
        for region in regions:
            if self.argo:
                self._apply_argo(action, region)
            else:
                self._apply_deployment(action, region)
        return {"object": self._path(regions[0]), "regions": list(action.regions)}

    def _annotations(
        self, action: StepAction, extra: dict[str, str] | None = None
    ) -> dict[str, Any]:
        return {
            "metadata": {
                "annotations": {
                    STEP_ANNOTATION: action.key,
                    RELEASE_ANNOTATION: action.release_id,
                    **(extra or {}),
                }
            }
        }

    def _containers(self, action: StepAction) -> list[dict[str, str]]:
        containers = []
        for name, digest, uri in action.artifacts:
            if uri is None:
                raise TargetError(
                    f"artifact {name} of release {action.release_id} has no uri, so no image "
                    "reference can be built",
                    hint="add the registry path as artifacts[].uri in the release manifest",
                )
            containers.append({"name": name, "image": f"{uri}@{digest}"})
        return containers

    def _apply_deployment(self, action: StepAction, region: str) -> None:
        url = self._path(region)
        if action.action == "deploy" and action.weight < 100:
            raise TargetError(
                f"a Deployment cannot route {action.weight}% of traffic to a canary",
                hint="deploy canaries with the argo target, or use a plan without canary steps",
            )
        current = self._get(region)
        template = current.get("spec", {}).get("template", {}).get("spec", {})
        images = {c["name"]: c["image"] for c in template.get("containers", [])}
        if action.action == "rollback":
            annotations = current.get("metadata", {}).get("annotations", {})
            previous = json.loads(annotations.get(PREVIOUS_ANNOTATION, "{}"))
            if not previous:
                raise TargetError(
                    f"{url} records no previous images to roll back to",
                    hint="restore the previous version by hand",
                )
            patch = self._annotations(action)
            patch["spec"] = {
                "template": {
                    "spec": {
                        "containers": [{"name": n, "image": i} for n, i in sorted(previous.items())]
                    }
                }
            }
            self._request("PATCH", url, body=patch, content_type=_STRATEGIC)
            return
        containers = self._containers(action)
        missing = [c["name"] for c in containers if c["name"] not in images]
        if missing:
            raise TargetError(
                f"{url} has no container named {', '.join(missing)}",
                hint="name the artifacts after the Deployment's containers",
            )
        previous = {c["name"]: images[c["name"]] for c in containers}
        patch = self._annotations(action, {PREVIOUS_ANNOTATION: json.dumps(previous)})
        patch["spec"] = {"template": {"spec": {"containers": containers}}}
        self._request("PATCH", url, body=patch, content_type=_STRATEGIC)

    def _apply_argo(self, action: StepAction, region: str) -> None:
        url = self._path(region)
        if action.action == "rollback":
            self._request(
                "PATCH", f"{url}/status", body={"status": {"abort": True}}, content_type=_MERGE
            )
            self._request("PATCH", url, body=self._annotations(action), content_type=_MERGE)
            return
        current = self._get(region)
        template = current.get("spec", {}).get("template", {})
        containers = self._containers(action)
        images = {c["name"]: c["image"] for c in template.get("spec", {}).get("containers", [])}
        if any(images.get(c["name"]) != c["image"] for c in containers):
            # First step of the wave: new image and the canary steps of the plan.
            steps: list[dict[str, Any]] = []
            for weight in action.plan_weights or (action.weight,):
                if weight < 100:
                    steps += [{"setWeight": weight}, {"pause": {}}]
            merged = [
                {
                    **c,
                    "image": next(
                        (n["image"] for n in containers if n["name"] == c["name"]), c["image"]
                    ),
                }
                for c in template.get("spec", {}).get("containers", [])
            ]
            patch = self._annotations(action)
            patch["spec"] = {
                "template": {"spec": {"containers": merged}},
                "strategy": {"canary": {"steps": steps}},
            }
            self._request("PATCH", url, body=patch, content_type=_MERGE)
            return
        # Later steps: promote to the next weight.
        self._request(
            "PATCH",
            f"{url}/status",
            body={"status": {"pauseConditions": None}},
            content_type=_MERGE,
        )
        patch = self._annotations(action)
        patch["spec"] = {"paused": False}
        self._request("PATCH", url, body=patch, content_type=_MERGE)

    def applied(self, action: StepAction) -> bool:
        """Report whether the step reached the last of its regions, which is written last."""
        current = self._get(action.regions[-1] if action.regions else "")
        annotations = current.get("metadata", {}).get("annotations", {})
        return bool(annotations.get(STEP_ANNOTATION) == action.key)
