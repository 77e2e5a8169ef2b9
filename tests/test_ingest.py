"""Signal ingest: row-by-row validation with line numbers, account matching, one-transaction loads,
coverage, the CLI, and the authenticated HTTP endpoint through a real local server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
import requests
from pydantic import SecretStr
from sqlalchemy import Engine, func, select

from bot.ingest.http import make_ingest_app
from bot.ingest.load import ingest_text
from bot.ingest.records import parse
from store import keys
from store.coverage import coverage
from store.models import Account, Contract, NpsResponse, UsageDaily
from store.uow import unit_of_work
from store.upsert import bulk_upsert
from tests.test_cli import retainer

TODAY = date(2026, 11, 2)


def _accounts(engine: Engine) -> None:
    rows = [
        ("salesforce", "001A", "acme.example.com"),
        ("hubspot", "9001", "globex.example.com"),
        ("hubspot", "9002", "twin.example.com"),
        ("salesforce", "001B", "TWIN.example.com"),
    ]
    with unit_of_work(engine) as s:
        bulk_upsert(
            s,
            Account,
            [
                {
                    "id": keys.account_key(src, crm),
                    "source": src,
                    "crm_id": crm,
                    "name": crm,
                    "domain": dom,
                    "extra": {},
                    "is_deleted": False,
                    "synced_at": datetime.now(UTC),
                }
                for src, crm, dom in rows
            ],
            ("id",),
        )


def _count(engine: Engine, model: type) -> int:
    with unit_of_work(engine) as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


USAGE_HEADER = (
    "account_id,source,crm_id,domain,day,active_users,weekly_active_users,key_feature_events,licensed_seats"
)
USAGE_CSV = f"""{USAGE_HEADER}
{keys.account_key("salesforce", "001A")},,,,2026-10-26,,40,120,50
,hubspot,9001,,2026-10-26,12,,30,
,,,ACME.example.com,2026-10-19,,38,100,50
,,,,2026-10-19,,38,100,50
,,,acme.example.com,2026-13-01,,38,100,50
,,,acme.example.com,2026-10-12,-3,,100,50
,,,nowhere.example.com,2026-10-12,,3,1,5
,,,twin.example.com,2026-10-12,,3,1,5
,,,acme.example.com,2026-10-26,,41,120,50
"""


def test_usage_csv_loads_good_rows_and_reports_bad_ones_by_line(engine: Engine) -> None:
    _accounts(engine)
    result = ingest_text(engine, "usage", USAGE_CSV, "csv")
    assert result.loaded == 3
    errors = {e.line: e.message for e in result.errors}
    assert sorted(errors) == [5, 6, 7, 8, 9, 10]
    assert "name the account" in errors[5]
    assert errors[6].startswith("day:")
    assert errors[7].startswith("active_users:")
    assert errors[8] == "no account matches domain=nowhere.example.com"
    assert "matches 2 accounts" in errors[9]
    assert errors[10] == "duplicate of line 2"
    assert _count(engine, UsageDaily) == 3
    again = ingest_text(engine, "usage", USAGE_CSV, "csv")  # loading twice upserts
    assert again.loaded == 3 and _count(engine, UsageDaily) == 3


def test_strict_mode_loads_nothing_when_a_row_is_bad(engine: Engine) -> None:
    _accounts(engine)
    result = ingest_text(engine, "usage", USAGE_CSV, "csv", strict=True)
    assert result.loaded == 0 and len(result.errors) == 6
    assert _count(engine, UsageDaily) == 0


def test_nps_and_contracts_ndjson(engine: Engine) -> None:
    _accounts(engine)
    sf = {"source": "salesforce", "crm_id": "001A"}
    at = "2026-10-30T10:00:00"
    nps = "\n".join(
        [
            json.dumps({**sf, "external_id": "r1", "score": 4, "responded_at": at + "Z"}),
            json.dumps({**sf, "external_id": "r2", "score": 11, "responded_at": at + "Z"}),
            json.dumps({**sf, "external_id": "r3", "score": 9, "responded_at": at}),
            "not json",
            json.dumps(
                {
                    "domain": "globex.example.com",
                    "external_id": "r4",
                    "score": 10,
                    "responded_at": at + "+02:00",
                    "mood": "x",
                }
            ),
        ]
    )
    result = ingest_text(engine, "nps", nps, "ndjson")
    assert result.loaded == 1
    messages = {e.line: e.message for e in result.errors}
    assert (
        messages[2].startswith("score:") and "timezone" in messages[3] and messages[4].startswith("not JSON")
    )
    assert "mood" in messages[5]
    globex = {"domain": "globex.example.com"}
    contracts = "\n".join(
        json.dumps({**globex, "external_id": k, "start_date": a, "end_date": b, "arr": arr})
        for k, a, b, arr in [
            ("k1", "2025-01-01", "2026-01-01", "1000"),
            ("k2", "2026-01-01", "2027-01-01", "800.50"),
            ("k3", "2026-01-01", "2025-01-01", "1"),
        ]
    )
    result = ingest_text(engine, "contracts", contracts, "ndjson")
    assert result.loaded == 2 and [e.line for e in result.errors] == [3]
    assert _count(engine, Contract) == 2 and _count(engine, NpsResponse) == 1


@pytest.mark.parametrize(
    ("kind", "fields"),
    [
        ("nps", {"score": 9, "responded_at": "2026-10-01T10:00:00Z"}),
        ("contracts", {"start_date": "2026-01-01", "end_date": "2027-01-01", "arr": "100"}),
    ],
)
def test_one_external_id_for_two_accounts_is_a_duplicate(
    engine: Engine, kind: str, fields: dict[str, object]
) -> None:
    # external_id is unique in the table: the second row would overwrite the first account's row
    _accounts(engine)
    text = "\n".join(
        json.dumps({"domain": domain, "external_id": "x1", **fields})
        for domain in ("acme.example.com", "globex.example.com")
    )
    result = ingest_text(engine, kind, text, "ndjson")
    assert result.loaded == 1 and [str(e) for e in result.errors] == ["line 2: duplicate of line 1"]
    model = NpsResponse if kind == "nps" else Contract
    with unit_of_work(engine) as s:
        (stored,) = s.scalars(select(model)).all()
    assert stored.account_id == keys.account_key("salesforce", "001A")


def test_ndjson_lines_end_only_at_newlines(engine: Engine) -> None:
    # JSON allows these raw inside a string; str.splitlines() would also break lines at them
    comments = ["Great\u2028support", "fast\u2029fix", "next\x85line"]
    at = "2026-10-01T10:00:00Z"
    acme = {"domain": "acme.example.com", "responded_at": at}
    lines = [
        json.dumps({**acme, "external_id": f"r{i}", "score": 9, "comment": c}, ensure_ascii=False)
        for i, c in enumerate(comments)
    ]
    lines += ['{"bad": 1}\x0c', json.dumps({**acme, "external_id": "r9", "score": "x"})]
    _accounts(engine)
    result = ingest_text(engine, "nps", "\r\n".join(lines) + "\r\n", "ndjson")
    assert result.loaded == 3
    assert [(e.line, e.message.split(":")[0]) for e in result.errors] == [(4, "not JSON"), (5, "score")]
    with unit_of_work(engine) as s:
        assert sorted(s.scalars(select(NpsResponse.comment))) == sorted(comments)


NPS_CSV = """domain,external_id,score,responded_at,comment
acme.example.com,r1,9,2026-10-01T10:00:00Z,"Line one
line two
line three"
acme.example.com,r2,11,2026-10-01T10:00:00Z,"bad
score"
acme.example.com,r1,8,2026-10-01T10:00:00Z,again

acme.example.com,r3,5,2026-10-01T10:00:00Z,"one
value",too many
acme.example.com,r4,7,2026-10-01T10:00:00Z,
"""


def test_csv_rows_are_reported_at_the_line_they_start_on(engine: Engine) -> None:
    # a quoted value may span lines: the row starts where its first value is, not where it ends
    _accounts(engine)
    result = ingest_text(engine, "nps", NPS_CSV, "csv")
    assert result.loaded == 2
    errors = {e.line: e.message for e in result.errors}
    assert sorted(errors) == [5, 7, 9]
    assert errors[5].startswith("score:")
    assert errors[7] == "duplicate of line 2"
    assert errors[9] == "more values than columns"
    with unit_of_work(engine) as s:
        assert s.scalar(select(NpsResponse.comment).where(NpsResponse.external_id == "r1")) == (
            "Line one\nline two\nline three"
        )


def test_csv_with_unknown_columns_is_rejected_up_front() -> None:
    parsed = parse("usage", "account_id,day,wau\nx,2026-01-01,3\n", "csv")
    assert (
        parsed.rows == []
        and parsed.errors[0].line == 1
        and "unknown column(s) wau" in parsed.errors[0].message
    )


def test_coverage_per_source(engine: Engine) -> None:
    _accounts(engine)
    ingest_text(engine, "usage", USAGE_CSV, "csv")
    with unit_of_work(engine) as s:
        figures = coverage(s, TODAY)
    assert figures["salesforce"]["accounts"] == 2 and figures["salesforce"]["usage (28 days)"] == 50.0
    assert figures["hubspot"]["usage (28 days)"] == 50.0 and figures["hubspot"]["nps (1 year)"] == 0.0


def test_cli_ingest_reports_lines_and_exit_status(tmp_path: Path, db_url: str, engine: Engine) -> None:
    _accounts(engine)
    path = tmp_path / "usage.csv"
    path.write_text(USAGE_CSV, encoding="utf-8")
    result = retainer("ingest", "usage", str(path), cwd=tmp_path, env={"DATABASE_URL": db_url})
    assert result.returncode == 1
    assert "loaded 3 usage row(s) for 2 account(s); rejected 6" in result.stdout
    assert f"{path}:8: no account matches domain=nowhere.example.com" in result.stderr
    shown = retainer(
        "ingest", "coverage", "--as-of", "2026-11-02", cwd=tmp_path, env={"DATABASE_URL": db_url}
    )
    assert shown.returncode == 0 and "salesforce" in shown.stdout and "50.0%" in shown.stdout


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def ingest_url(engine: Engine) -> Iterator[str]:
    _accounts(engine)
    server: WSGIServer = make_server(
        "127.0.0.1", 0, make_ingest_app(engine, SecretStr("s3cret-token")), handler_class=_Quiet
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_http_ingest_requires_the_bearer_token(ingest_url: str) -> None:
    session = requests.Session()
    session.trust_env = False
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic s3cret-token"}):
        response = session.post(
            f"{ingest_url}/ingest/usage", data="x", headers={"Content-Type": "text/csv", **headers}
        )
        assert response.status_code == 401 and response.headers["WWW-Authenticate"] == "Bearer"
        assert "s3cret" not in response.text


def test_http_ingest_loads_and_reports(ingest_url: str, engine: Engine) -> None:
    session = requests.Session()
    session.trust_env = False
    session.headers["Authorization"] = "Bearer s3cret-token"
    ok = session.post(
        f"{ingest_url}/ingest/usage", data=USAGE_CSV.encode(), headers={"Content-Type": "text/csv"}
    )
    assert ok.status_code == 200
    body = ok.json()
    assert body["loaded"] == 3 and body["rejected"] == 6 and body["errors"][0]["line"] == 5
    bad = session.post(
        f"{ingest_url}/ingest/nps",
        data='{"external_id": "x"}\n',
        headers={"Content-Type": "application/x-ndjson"},
    )
    assert bad.status_code == 422 and bad.json()["loaded"] == 0
    assert (
        session.post(
            f"{ingest_url}/ingest/usage", data="x", headers={"Content-Type": "text/plain"}
        ).status_code
        == 415
    )
    assert (
        session.post(
            f"{ingest_url}/ingest/tickets", data="x", headers={"Content-Type": "text/csv"}
        ).status_code
        == 404
    )
    assert session.get(f"{ingest_url}/ingest/usage").status_code == 405
    shown = session.get(f"{ingest_url}/ingest/coverage")
    assert shown.status_code == 200 and shown.json()["coverage"]["salesforce"]["accounts"] == 2
    assert _count(engine, UsageDaily) == 3
