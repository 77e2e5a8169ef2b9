"""The Salesforce REST API the sandbox serves (the subset simple-salesforce and the connector use).

    POST   /services/oauth2/token                          client_credentials -> access token
    POST   /services/Soap/u/NN.N                           SOAP login (username, password + token)
    GET    /services/data/vNN.N/limits                     DailyApiRequests
    GET    /services/data/vNN.N/sobjects                   describeGlobal
    GET    /services/data/vNN.N/sobjects/{obj}/describe
    POST   /services/data/vNN.N/sobjects/{obj}             create
    GET|PATCH|DELETE .../sobjects/{obj}/{id}               get / update / delete
    GET|PATCH .../sobjects/{obj}/{extField}/{value}        get / upsert by external id
    GET    .../query?q=  .../queryAll?q=  .../query/{locator}-{offset}
    POST|PATCH|DELETE .../composite/sobjects               sObject Collections (200 records a call)
    GET    .../composite/sobjects/{obj}?ids=&fields=
    PATCH  .../composite/sobjects/{obj}/{extField}         upsert collection

Every API call needs `Authorization: Bearer <session>` (401 INVALID_SESSION_ID otherwise), counts
against the daily limit (403 REQUEST_LIMIT_EXCEEDED past it), and answers with `Sforce-Limit-Info`.
Query cursors are released as Salesforce releases them (`sandbox.salesforce.cursors`).
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from sandbox.httpbase import Request, Response
from sandbox.salesforce import soql
from sandbox.salesforce.coerce import SfError
from sandbox.salesforce.collections import Collections
from sandbox.salesforce.cursors import Cursor, Cursors
from sandbox.salesforce.schema import describe
from sandbox.salesforce.state import OrgState

_DATA = re.compile(r"^/services/data/v(?P<ver>\d+\.\d)(?P<rest>/.*)?$")
_SOAP_LOGIN = re.compile(r"^/services/Soap/u/\d+\.\d$")
_INVALID_LOGIN = "Invalid username, password, security token; or user locked out."
_ERROR_CODES = {
    400: ("MALFORMED_QUERY", "malformed request"),
    401: ("INVALID_SESSION_ID", "Session expired or invalid"),
    403: ("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."),
    404: ("NOT_FOUND", "The requested resource does not exist"),
    503: ("SERVER_UNAVAILABLE", "Server is temporarily unavailable"),
}


@dataclass
class Stall:
    """Answer a matching request only after `seconds`, *after* applying it (a reply lost in transit)."""

    path: str
    seconds: float
    count: int
    method: str = ""


class SalesforceApp:
    def __init__(self, state: OrgState, *, version: str, daily_limit: int, page_size: int) -> None:
        self.state = state
        self.version = version
        self.daily_limit = daily_limit
        self.page_size = page_size
        self.stalls: list[Stall] = []
        self.cursors = Cursors()
        self._lock = threading.Lock()
        self.instance_url = ""  # set once the server has its port (the token endpoint returns it)
        self._usage: dict[str, Any] = dict(state.meta.get("api_usage") or {"day": "", "used": 0})
        self.collections = Collections(state, self.render_record)
        if not state.meta.get("sessions"):
            state.save_meta(
                sessions=[secrets.token_hex(24)],
                consumer_key=secrets.token_hex(16),
                consumer_secret=secrets.token_hex(16),
            )
        if not state.meta.get("username"):  # also for an org kept from before the login endpoint
            state.save_meta(
                username="integration@retainer.sandbox",
                password=secrets.token_hex(12),
                security_token=secrets.token_hex(12),
            )

    # -- sessions and limits -----------------------------------------------------------------------
    @property
    def session_id(self) -> str:
        return str(self.state.meta["sessions"][-1])

    def expire_sessions(self) -> None:
        """Every current session becomes invalid (a new one is issued but not handed out)."""
        self.state.save_meta(sessions=[secrets.token_hex(24)])

    def issue_session(self) -> str:
        token = secrets.token_hex(24)
        self.state.save_meta(sessions=[*self.state.meta["sessions"], token])
        return token

    def api_usage(self) -> int:
        day = self.state.clock.now().date().isoformat()
        with self._lock:
            if self._usage["day"] != day:
                self._usage = {"day": day, "used": 0}
            return int(self._usage["used"])

    def _count_call(self) -> bool:
        used = self.api_usage()
        with self._lock:
            if used >= self.daily_limit:
                return False
            self._usage["used"] = used + 1
            return True

    def persist_usage(self) -> None:
        self.state.save_meta(api_usage=dict(self._usage))

    # -- HTTP ----------------------------------------------------------------------------------------
    def error_response(self, status: int, message: str) -> Response:
        code, default = _ERROR_CODES.get(status, ("UNKNOWN_EXCEPTION", "An unexpected error occurred"))
        return Response(status, [{"message": message or default, "errorCode": code}], self._limit_header())

    def _limit_header(self) -> dict[str, str]:
        return {"Sforce-Limit-Info": f"api-usage={self.api_usage()}/{self.daily_limit}"}

    def handle(self, request: Request) -> Response:
        response = self._handle(request)
        stall = self._pick_stall(request)
        if stall is not None:
            time.sleep(stall.seconds)
        return response

    def _pick_stall(self, request: Request) -> Stall | None:
        with self._lock:
            for stall in self.stalls:
                if stall.count > 0 and re.search(stall.path, request.path):
                    if stall.method and stall.method.upper() != request.method:
                        continue
                    stall.count -= 1
                    return stall
        return None

    def _handle(self, request: Request) -> Response:
        if request.path == "/services/oauth2/token" and request.method == "POST":
            return self._token(request)
        if _SOAP_LOGIN.match(request.path) and request.method == "POST":
            return self._soap_login(request)
        match = _DATA.match(request.path)
        if match is None:
            return self.error_response(404, f"The requested resource does not exist: {request.path}")
        auth = request.header("authorization") or ""
        if auth.removeprefix("Bearer ").strip() not in self.state.meta["sessions"]:
            return self.error_response(401, "Session expired or invalid")
        if not self._count_call():
            return self.error_response(403, "TotalRequests Limit exceeded.")
        parts = [unquote(p) for p in (match.group("rest") or "").split("/") if p]
        try:
            status, body = self._route(request, parts)
        except SfError as exc:
            status, body = exc.status, exc.body()
        except soql.SoqlError as exc:
            status, body = 400, [{"message": str(exc), "errorCode": "MALFORMED_QUERY"}]
        return Response(status, body, self._limit_header())

    def _token(self, request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        meta = self.state.meta
        if (
            form.get("grant_type") != "client_credentials"
            or form.get("client_id") != meta["consumer_key"]
            or form.get("client_secret") != meta["consumer_secret"]
        ):
            return Response(
                400, {"error": "invalid_client", "error_description": "invalid client credentials"}
            )
        return Response(
            200,
            {
                "access_token": self.issue_session(),
                "instance_url": self.instance_url,
                "token_type": "Bearer",
                "issued_at": str(int(time.time() * 1000)),
            },
        )

    def _soap_login(self, request: Request) -> Response:
        """The partner API's `login` call, as simple-salesforce makes it for a username and password:
        the password field carries the password followed by the user's security token."""
        try:
            fields = {
                element.tag.rsplit("}", 1)[-1]: element.text or ""
                # only the tests' and the demo's own clients reach the sandbox on 127.0.0.1
                for element in ElementTree.fromstring(request.body).iter()  # noqa: S314
            }
        except ElementTree.ParseError:
            fields = {}
        meta = self.state.meta
        if (
            fields.get("username") != meta["username"]
            or fields.get("password") != meta["password"] + meta["security_token"]
        ):
            return Response(500, _login_fault("INVALID_LOGIN", _INVALID_LOGIN), content_type="text/xml")
        server_url = f"{self.instance_url}/services/Soap/u/{self.version}/00D000000000001"
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns="urn:partner.soap.sforce.com"><soapenv:Body><loginResponse><result>'
            f"<serverUrl>{escape(server_url)}</serverUrl><sessionId>{self.issue_session()}</sessionId>"
            "</result></loginResponse></soapenv:Body></soapenv:Envelope>"
        )
        return Response(200, body, content_type="text/xml")

    def _route(self, request: Request, parts: list[str]) -> tuple[int, Any]:
        method, head = request.method, parts[0] if parts else ""
        if head == "limits":
            return 200, {
                "DailyApiRequests": {
                    "Max": self.daily_limit,
                    "Remaining": self.daily_limit - self.api_usage(),
                }
            }
        if head in ("query", "queryAll") and method == "GET":
            include_deleted = head == "queryAll"
            if len(parts) == 2:
                return 200, self._query_more(parts[1])
            return 200, self._query(request.arg("q") or "", include_deleted)
        if head == "sobjects":
            return self._sobjects(request, parts[1:])
        if parts[:2] == ["composite", "sobjects"]:
            return self.collections.route(request, parts[2:])
        raise SfError(404, "NOT_FOUND", f"The requested resource does not exist: {'/'.join(parts)}")

    def _sobjects(self, request: Request, parts: list[str]) -> tuple[int, Any]:
        method = request.method
        if not parts:
            return 200, {
                "encoding": "UTF-8",
                "maxBatchSize": 200,
                "sobjects": [
                    {"name": n, "keyPrefix": o.key_prefix, "queryable": True}
                    for n, o in self.state.schema.items()
                ],
            }
        obj = self.state.sobject(parts[0])
        if len(parts) == 1 and method == "POST":
            return 201, {
                "id": self.state.create(obj.name, request.json() or {}),
                "success": True,
                "errors": [],
            }
        if parts[1:] == ["describe"]:
            return 200, describe(obj, self.version)
        if len(parts) == 2:
            if method == "GET":
                record = self.state.get(obj.name, parts[1])
                if record is None:
                    raise SfError(404, "NOT_FOUND", "The requested resource does not exist")
                fields = request.arg("fields")
                return 200, self.render_record(obj.name, record, fields.split(",") if fields else None)
            if method == "PATCH":
                self.state.update(obj.name, parts[1], request.json() or {})
                return 204, None
            if method == "DELETE":
                self.state.delete(obj.name, parts[1])
                return 204, None
        if len(parts) == 3:
            if method == "PATCH":
                record_id, created = self.state.upsert(obj.name, parts[1], parts[2], request.json() or {})
                return (201 if created else 200), {
                    "id": record_id,
                    "success": True,
                    "errors": [],
                    "created": created,
                }
            if method == "GET":
                (field,) = self.state.resolve(obj, parts[1])
                record = self.state.find_external(obj.name, field, parts[2])
                if record is None:
                    raise SfError(404, "NOT_FOUND", "The requested resource does not exist")
                return 200, self.render_record(obj.name, record, None)
        raise SfError(405, "METHOD_NOT_ALLOWED", f"HTTP method '{method}' not allowed")

    # -- queries ----------------------------------------------------------------------------------------
    def _query(self, text: str, include_deleted: bool) -> dict[str, Any]:
        query = soql.parse(text)
        if not any(name.lower() == query.sobject.lower() for name in self.state.schema):
            raise SfError(400, "INVALID_TYPE", f"sObject type '{query.sobject}' is not supported.")
        obj = self.state.sobject(query.sobject)
        rows = self.state.select(query, include_deleted)
        fields = tuple(
            ".".join(self.state.resolve(obj, f)[-2:]) if "." in f else self.state.resolve(obj, f)[0]
            for f in query.fields
        )
        ids = [r["Id"] for r in rows]
        locator = ""
        if len(ids) > self.page_size:
            locator = self.cursors.open(
                Cursor(ids, obj.name, fields, include_deleted, self.state.clock.now())
            )
        return self._page(ids, obj.name, fields, include_deleted, locator, 0)

    def _query_more(self, token: str) -> dict[str, Any]:
        locator, _, offset = token.rpartition("-")
        cursor = self.cursors.use(locator, self.state.clock.now())
        if cursor is None or not offset.isdigit():
            raise SfError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        return self._page(
            cursor.ids, cursor.sobject, cursor.fields, cursor.include_deleted, locator, int(offset)
        )

    def _page(
        self, ids: list[str], sobj: str, fields: tuple[str, ...], all_rows: bool, locator: str, offset: int
    ) -> dict[str, Any]:
        chunk = ids[offset : offset + self.page_size]
        table = self.state.records[sobj]
        records = [self.render_record(sobj, table[rid], fields) for rid in chunk]
        done = offset + len(chunk) >= len(ids)
        body: dict[str, Any] = {"totalSize": len(ids), "done": done, "records": records}
        if not done:
            endpoint = "queryAll" if all_rows else "query"
            body["nextRecordsUrl"] = (
                f"/services/data/v{self.version}/{endpoint}/{locator}-{offset + len(chunk)}"
            )
        return body

    def render_record(
        self, sobj: str, record: dict[str, Any], fields: tuple[str, ...] | list[str] | None
    ) -> dict[str, Any]:
        obj = self.state.schema[sobj]
        out: dict[str, Any] = {
            "attributes": {
                "type": sobj,
                "url": f"/services/data/v{self.version}/sobjects/{sobj}/{record['Id']}",
            }
        }
        for name in fields or obj.fields:
            if "." not in name:
                if name not in record:
                    (name,) = self.state.resolve(obj, name)
                out[name] = record.get(name)
                continue
            rel, field = name.split(".")
            ref = obj.relationships()[rel]
            parent = self.state.records[ref.reference_to or ""].get(record.get(ref.name) or "")
            if parent is None:
                out[rel] = None
                continue
            nested = out.get(rel) or {
                "attributes": {
                    "type": ref.reference_to,
                    "url": f"/services/data/v{self.version}/sobjects/{ref.reference_to}/{parent['Id']}",
                }
            }
            nested[field] = parent.get(field)
            out[rel] = nested
        return out


def _login_fault(code: str, message: str) -> str:
    """A SOAP fault as Salesforce answers a refused login (HTTP 500)."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:sf="urn:fault.partner.soap.sforce.com" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault>'
        f"<faultcode>sf:{code}</faultcode><faultstring>{code}: {escape(message)}</faultstring>"
        '<detail><sf:LoginFault xsi:type="sf:LoginFault">'
        f"<sf:exceptionCode>{code}</sf:exceptionCode><sf:exceptionMessage>{escape(message)}"
        "</sf:exceptionMessage></sf:LoginFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>"
    )
