"""Load regopy before the test modules import numpy (see releasegate/rollout/__init__.py)."""

import regopy  # noqa: F401
