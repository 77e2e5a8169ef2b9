"""Jinja2 templates -> Block Kit JSON, mrkdwn escaping, validation against Slack limits."""
