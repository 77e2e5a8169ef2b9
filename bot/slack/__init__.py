"""The Slack side of the bot: Bolt app, listeners, alert publishing. Listeners stay thin: parse -> call a
service -> render with messages/ -> respond."""
