"""Progressive rollouts: plans, health gates, metric providers, deploy targets."""
