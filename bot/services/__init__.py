"""Service layer: what the scheduler and the Slack bot call. Each function is one transaction."""
