"""A tiny real Bolt app (HTTP mode, signature verification on) used to check the sandbox's deliveries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

ALERT_BLOCKS: list[dict[str, Any]] = [
    {"type": "header", "text": {"type": "plain_text", "text": "Usage decline: Acme"}},
    {"type": "section", "text": {"type": "mrkdwn", "text": "*Acme* usage fell 42%"}},
    {
        "type": "actions",
        "block_id": "alert:1",
        "elements": [
            {
                "type": "button",
                "action_id": "claim",
                "text": {"type": "plain_text", "text": "Claim"},
                "value": "a1",
            },
            {
                "type": "button",
                "action_id": "log_outcome",
                "text": {"type": "plain_text", "text": "Log outcome"},
            },
            {
                "type": "static_select",
                "action_id": "snooze",
                "placeholder": {"type": "plain_text", "text": "Snooze"},
                "options": [
                    {"text": {"type": "plain_text", "text": "1 day"}, "value": "1d"},
                    {"text": {"type": "plain_text", "text": "1 week"}, "value": "1w"},
                ],
            },
            {"type": "button", "action_id": "dismiss", "text": {"type": "plain_text", "text": "Dismiss"}},
        ],
    },
]

OUTCOME_MODAL: dict[str, Any] = {
    "type": "modal",
    "callback_id": "outcome",
    "title": {"type": "plain_text", "text": "Log outcome"},
    "submit": {"type": "plain_text", "text": "Save"},
    "blocks": [
        {
            "type": "section",
            "block_id": "extra",
            "text": {"type": "mrkdwn", "text": "Need more room?"},
            "accessory": {
                "type": "button",
                "action_id": "more",
                "text": {"type": "plain_text", "text": "Details"},
            },
        },
        {
            "type": "input",
            "block_id": "done",
            "label": {"type": "plain_text", "text": "What was done"},
            "element": {"type": "plain_text_input", "action_id": "what"},
        },
        {
            "type": "input",
            "block_id": "result",
            "label": {"type": "plain_text", "text": "Result"},
            "element": {
                "type": "static_select",
                "action_id": "result",
                "options": [
                    {"text": {"type": "plain_text", "text": "Saved"}, "value": "saved"},
                    {"text": {"type": "plain_text", "text": "Churn confirmed"}, "value": "churn_confirmed"},
                ],
            },
        },
        {
            "type": "input",
            "block_id": "next",
            "optional": True,
            "label": {"type": "plain_text", "text": "Next step date"},
            "element": {"type": "datepicker", "action_id": "date"},
        },
        {
            "type": "input",
            "block_id": "owner",
            "optional": True,
            "label": {"type": "plain_text", "text": "Owner"},
            "element": {"type": "users_select", "action_id": "owner"},
        },
    ],
}


DETAILS_MODAL: dict[str, Any] = {
    "type": "modal",
    "callback_id": "details",
    "notify_on_close": True,
    "title": {"type": "plain_text", "text": "Details"},
    "submit": {"type": "plain_text", "text": "Next"},
    "blocks": [
        {
            "type": "input",
            "block_id": "then",
            "label": {"type": "plain_text", "text": "Then what"},
            "element": {"type": "plain_text_input", "action_id": "then"},
        }
    ],
}


@dataclass
class TinyBot:
    app: App
    submissions: list[dict[str, Any]] = field(default_factory=list)
    clicks: list[dict[str, Any]] = field(default_factory=list)
    closed: list[dict[str, Any]] = field(default_factory=list)


def build_tiny_bot(*, signing_secret: str, client: WebClient) -> TinyBot:
    app = App(signing_secret=signing_secret, client=client)
    tiny = TinyBot(app)

    @app.action("claim")
    def claim(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        tiny.clicks.append(body)
        blocks = [*ALERT_BLOCKS[:2], {"type": "context", "elements": [
            {"type": "mrkdwn", "text": f"Claimed by <@{body['user']['id']}>"}]}]  # fmt: skip
        client.chat_update(
            channel=body["container"]["channel_id"],
            ts=body["container"]["message_ts"],
            text="claimed",
            blocks=blocks,
        )

    @app.action("log_outcome")
    def log_outcome(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        meta = f"{body['container']['channel_id']}|{body['container']['message_ts']}"
        client.views_open(trigger_id=body["trigger_id"], view={**OUTCOME_MODAL, "private_metadata": meta})

    @app.action("snooze")
    def snooze(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        respond(replace_original=True, text=f"Snoozed for {body['actions'][0]['selected_option']['value']}")

    @app.action("dismiss")
    def dismiss(ack: Ack, respond: Respond) -> None:
        ack()
        respond(delete_original=True)

    @app.view("outcome")
    def outcome(ack: Ack, view: dict[str, Any], client: WebClient, body: dict[str, Any]) -> None:
        values = view["state"]["values"]
        if values["done"]["what"]["value"] == "nothing":
            ack(response_action="errors", errors={"done": "Say what was done"})
            return
        ack()
        tiny.submissions.append(values)
        channel, ts = view["private_metadata"].split("|")
        client.chat_postMessage(
            channel=channel, thread_ts=ts, text=f"Outcome logged by <@{body['user']['id']}>"
        )

    @app.action("more")
    def more(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_push(trigger_id=body["trigger_id"], view=DETAILS_MODAL)

    @app.view("details")
    def details(ack: Ack, view: dict[str, Any]) -> None:
        then = view["state"]["values"]["then"]["then"]["value"]
        if then == "clear":
            ack(response_action="clear")
        elif then == "huge":
            ack(response_action="push", view={**DETAILS_MODAL, "blocks": [{"type": "divider"}] * 101})
        elif then == "update":
            ack(
                response_action="update",
                view={**DETAILS_MODAL, "title": {"type": "plain_text", "text": "Updated"}},
            )
        else:
            ack(
                response_action="push",
                view={**DETAILS_MODAL, "title": {"type": "plain_text", "text": "Third"}},
            )

    @app.view_closed("details")
    def details_closed(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        tiny.closed.append(body)

    @app.action("refresh_home")
    def refresh_home(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_publish(user_id=body["user"]["id"], view={"type": "home", "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": "Refreshed"}}]})  # fmt: skip

    @app.command("/portfolio")
    def portfolio(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        ack(f"Portfolio for <@{command['user_id']}>: {command['text'] or 'all'}")
        respond(response_type="in_channel", text="Portfolio summary posted")

    @app.event("app_home_opened")
    def home(event: dict[str, Any], client: WebClient) -> None:
        client.views_publish(
            user_id=event["user"],
            view={"type": "home", "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": f"Hello <@{event['user']}>"}},
                {"type": "actions", "elements": [{"type": "button", "action_id": "refresh_home",
                                                   "text": {"type": "plain_text", "text": "Refresh"}}]}]},
        )  # fmt: skip

    return tiny
