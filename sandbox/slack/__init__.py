"""A stateful local Slack: the Web API slack_sdk and Bolt drive unmodified, signed act-as-user deliveries
to the bot, and a Slack-like web page. Start it with `start_slack`."""

from sandbox.slack.delivery import Delivery, Tamper
from sandbox.slack.server import SlackSandbox, start_slack

__all__ = ["Delivery", "SlackSandbox", "Tamper", "start_slack"]
