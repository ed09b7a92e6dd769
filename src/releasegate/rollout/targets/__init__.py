"""Deploy targets that carry out rollout steps: simulator, command, webhook, Kubernetes, Argo."""

from releasegate.rollout.targets.interface import DeployTarget, StepAction, TargetError, load_target

__all__ = ["DeployTarget", "StepAction", "TargetError", "load_target"]
