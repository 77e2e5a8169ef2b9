"""The authenticated HTTP ingest endpoint, as a WSGI app the bot's HTTP server mounts.

    POST /ingest/usage|nps|contracts   body: CSV (Content-Type text/csv) or NDJSON
                                       (application/x-ndjson or application/json); ?strict=1 optional
    GET  /ingest/coverage              signal coverage per CRM source

Every request needs `Authorization: Bearer <INGEST_TOKEN>` (compared in constant time). Responses are
JSON: 200 with {"loaded", "rejected", "errors": [{"line", "message"}]} when some rows loaded (or none were
bad), 422 when rows were rejected and nothing loaded, 401/404/405/411/413/415 otherwise.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from pydantic import SecretStr
from sqlalchemy import Engine

from bot.ingest.load import ingest_text
from bot.ingest.records import KINDS
from store.coverage import coverage
from store.uow import unit_of_work

MAX_BODY = 20 * 1024 * 1024
StartResponse = Callable[[str, list[tuple[str, str]]], Any]
_FORMATS = {"text/csv": "csv", "application/x-ndjson": "ndjson", "application/json": "ndjson"}
_REASONS = {
    200: "OK",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    411: "Length Required",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Entity",
}


def make_ingest_app(
    engine: Engine, token: SecretStr
) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    expected = token.get_secret_value().encode()
    if not expected:
        raise ValueError("the ingest token must not be empty")

    def reply(
        start: StartResponse, status: int, body: dict[str, Any], extra: list[tuple[str, str]] | None = None
    ) -> list[bytes]:
        data = json.dumps(body).encode()
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(data))), *(extra or [])]
        start(f"{status} {_REASONS[status]}", headers)
        return [data]

    def app(environ: dict[str, Any], start: StartResponse) -> Iterable[bytes]:
        auth = environ.get("HTTP_AUTHORIZATION", "")
        given = auth[7:].strip().encode() if auth.lower().startswith("bearer ") else b""
        if not hmac.compare_digest(given, expected):
            return reply(
                start, 401, {"error": "missing or invalid bearer token"}, [("WWW-Authenticate", "Bearer")]
            )
        path = environ.get("PATH_INFO", "").rstrip("/")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/ingest/coverage":
            if method != "GET":
                return reply(start, 405, {"error": "use GET"}, [("Allow", "GET")])
            with unit_of_work(engine) as session:
                return reply(start, 200, {"coverage": coverage(session, datetime.now(UTC).date())})
        kind = path.removeprefix("/ingest/")
        if not path.startswith("/ingest/") or kind not in KINDS:
            return reply(
                start, 404, {"error": f"unknown path; use /ingest/{{{','.join(KINDS)}}} or /ingest/coverage"}
            )
        if method != "POST":
            return reply(start, 405, {"error": "use POST"}, [("Allow", "POST")])
        content_type = environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
        fmt = _FORMATS.get(content_type)
        if fmt is None:
            return reply(start, 415, {"error": f"Content-Type must be one of {', '.join(_FORMATS)}"})
        try:
            length = int(environ.get("CONTENT_LENGTH") or "")
        except ValueError:
            return reply(start, 411, {"error": "Content-Length required"})
        if length > MAX_BODY:
            return reply(start, 413, {"error": f"body over {MAX_BODY // (1024 * 1024)} MiB: split the file"})
        raw = environ["wsgi.input"].read(length)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            return reply(start, 415, {"error": "body must be UTF-8"})
        strict = parse_qs(environ.get("QUERY_STRING", "")).get("strict", ["0"])[0] in ("1", "true", "yes")
        result = ingest_text(engine, kind, text, fmt, strict=strict)
        status = 422 if result.errors and not result.loaded else 200
        return reply(start, status, result.as_dict())

    return app
