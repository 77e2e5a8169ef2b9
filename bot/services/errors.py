"""Domain errors the service layer raises; the Slack layer turns them into friendly replies."""

from __future__ import annotations


class ServiceError(Exception):
    """Base class: the message is one line fit to show to the person who acted."""


class NotFound(ServiceError):
    pass


class InvalidTransition(ServiceError):
    """The alert's state does not allow the action (e.g. claiming a resolved alert)."""

    def __init__(self, alert_id: str, action: str, state: str, why: str = "") -> None:
        self.alert_id, self.action, self.state = alert_id, action, state
        super().__init__(f"this alert is {_STATE_WORDS.get(state, state.replace('_', ' '))}{why}")


_STATE_WORDS = {"false_positive": "marked a false positive", "done": "done already"}


class InvalidInput(ServiceError):
    pass
