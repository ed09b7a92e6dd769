"""Progressive rollouts: plans, health gates, metric providers, deploy targets."""

# NOTE: regopy 1.5.2 aborts ("free(): invalid pointer") in time.format with a time
# zone when numpy's native library was loaded before regopy's. Every module of this
# package that uses numpy or scipy sits below this file, so loading regopy here first
# keeps gate decisions and health gates safe in one process.
import regopy  # noqa: F401
