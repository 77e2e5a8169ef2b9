"""sObject Collections: create, update, upsert, retrieve and delete up to 200 records in one call.

With `allOrNone: true` one failing record undoes the whole call (each result then says so); with
`false` (the default) every record succeeds or fails on its own. Results come back in request order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sandbox.httpbase import Request
from sandbox.salesforce.coerce import SfError
from sandbox.salesforce.ids import KEY_PREFIXES
from sandbox.salesforce.state import OrgState

MAX_RECORDS = 200
Renderer = Callable[[str, dict[str, Any], list[str] | None], dict[str, Any]]


def _failure(exc: SfError) -> dict[str, Any]:
    return {
        "success": False,
        "errors": [{"statusCode": exc.code, "message": exc.message, "fields": exc.fields}],
    }


class _RolledBack(Exception):
    pass


class Collections:
    def __init__(self, state: OrgState, render: Renderer) -> None:
        self.state = state
        self.render = render

    def route(self, request: Request, parts: list[str]) -> tuple[int, Any]:
        method = request.method
        if method == "DELETE" and not parts:
            ids = [i for i in (request.arg("ids") or "").split(",") if i]
            all_or_none = (request.arg("allOrNone") or "false").lower() == "true"
            return 200, self._run(ids, all_or_none, self._delete_one)
        if method == "GET" and len(parts) == 1:
            obj = self.state.sobject(parts[0])
            ids = [i for i in (request.arg("ids") or "").split(",") if i]
            self._check_size(ids)
            fields = [f for f in (request.arg("fields") or "").split(",") if f] or None
            found = [self.state.get(obj.name, i) for i in ids]
            return 200, [self.render(obj.name, r, fields) if r else None for r in found]
        body = request.json() or {}
        records = body.get("records") or []
        all_or_none = bool(body.get("allOrNone", False))
        if method == "POST" and not parts:
            return 200, self._run(records, all_or_none, self._create_one)
        if method == "PATCH" and not parts:
            return 200, self._run(records, all_or_none, self._update_one)
        if method == "PATCH" and len(parts) == 2:
            obj, field = self.state.sobject(parts[0]), parts[1]

            def upsert(record: dict[str, Any]) -> dict[str, Any]:
                value = record.get(field)
                if not value:
                    raise SfError(400, "MISSING_ARGUMENT", f"{field} not specified", [field])
                data = {k: v for k, v in record.items() if k not in ("attributes", field)}
                rid, created = self.state.upsert(obj.name, field, str(value), data)
                return {"id": rid, "success": True, "errors": [], "created": created}

            return 200, self._run(records, all_or_none, upsert)
        raise SfError(405, "METHOD_NOT_ALLOWED", f"HTTP method '{method}' not allowed")

    @staticmethod
    def _check_size(items: list[Any]) -> None:
        if len(items) > MAX_RECORDS:
            raise SfError(
                400,
                "EXCEEDED_ID_LIMIT",
                f"The number of records in the request ({len(items)}) exceeds the limit of {MAX_RECORDS}",
            )

    def _run(
        self, items: list[Any], all_or_none: bool, one: Callable[[Any], dict[str, Any]]
    ) -> list[dict[str, Any]]:
        self._check_size(items)
        if not all_or_none:
            with self.state.transaction():
                return [self._attempt(one, item) for item in items]
        results: list[dict[str, Any]] = []
        try:
            with self.state.all_or_none():
                results = [self._attempt(one, item) for item in items]
                if any(not r["success"] for r in results):
                    raise _RolledBack
        except _RolledBack:
            rolled = {
                "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
                "message": "Record rolled back because not all records were valid and the request was "
                "using AllOrNone header",
                "fields": [],
            }
            return [
                r if not r["success"] else {"id": r.get("id"), "success": False, "errors": [rolled]}
                for r in results
            ]
        return results

    @staticmethod
    def _attempt(one: Callable[[Any], dict[str, Any]], item: Any) -> dict[str, Any]:
        try:
            return one(item)
        except SfError as exc:
            return _failure(exc)

    def _create_one(self, record: dict[str, Any]) -> dict[str, Any]:
        sobj = (record.get("attributes") or {}).get("type")
        if not sobj:
            raise SfError(400, "INVALID_TYPE", "Must specify attributes.type for each record")
        if record.get("Id") or record.get("id"):
            raise SfError(400, "INVALID_FIELD", "cannot specify Id in an insert call", ["Id"])
        data = {k: v for k, v in record.items() if k != "attributes"}
        return {"id": self.state.create(self.state.sobject(sobj).name, data), "success": True, "errors": []}

    def _update_one(self, record: dict[str, Any]) -> dict[str, Any]:
        sobj = (record.get("attributes") or {}).get("type")
        rid = record.get("Id") or record.get("id")
        if not sobj or not rid:
            raise SfError(400, "MISSING_ARGUMENT", "Id and attributes.type are required", ["Id"])
        data = {k: v for k, v in record.items() if k not in ("attributes", "Id", "id")}
        self.state.update(self.state.sobject(sobj).name, str(rid), data)
        return {"id": rid, "success": True, "errors": []}

    def _delete_one(self, record_id: str) -> dict[str, Any]:
        for obj, prefix in KEY_PREFIXES.items():
            if record_id.startswith(prefix):
                self.state.delete(obj, record_id)
                return {"id": record_id, "success": True, "errors": []}
        raise SfError(400, "MALFORMED_ID", f"malformed id {record_id}")
