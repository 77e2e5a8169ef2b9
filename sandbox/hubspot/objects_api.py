"""CRM v3 object endpoints: list, get (by id or idProperty), create, update, archive, batch
read/create/update/upsert/archive and search, for companies, contacts, deals, tickets, notes, tasks.

`currencies` are the account's currencies, the company currency first: the options of a deal's
`deal_currency_code`. In a multi-currency account a deal created without one is in the company currency.
`derive` adds the values HubSpot calculates on a create or update (a deal's `hs_exchange_rate`, see
`currencies_api`) to the properties written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sandbox.httpbase import Request, Response
from sandbox.hubspot import search as search_mod
from sandbox.hubspot.records import SINGULAR, object_json, requested, standard_error, v3_association_name
from sandbox.hubspot.schema import CURRENCY_PROPERTY, EXCHANGE_RATE_PROPERTY, association_type, inverse, prop
from sandbox.hubspot.state import Conflict, Rec, State, iso_ms

MAX_LIST = 100
MAX_BATCH = 100
_READ_ONLY = {"hs_object_id", "createdate", "hs_lastmodifieddate", "lastmodifieddate", EXCHANGE_RATE_PROPERTY}
# (object type, properties before (None: a new record), changes) -> the changes with calculated values
Derive = Callable[[str, dict[str, str | None] | None, dict[str, str | None]], dict[str, str | None]]


def _as_given(object_type: str, before: Any, changes: dict[str, str | None]) -> dict[str, str | None]:
    return changes


class ApiError(Exception):
    """Answered as HubSpot's error body with `status` and `category`."""

    def __init__(self, status: int, category: str, message: str, **more: Any) -> None:
        super().__init__(message)
        self.status, self.category, self.more = status, category, more


def _bad(message: str, **more: Any) -> ApiError:
    return ApiError(400, "VALIDATION_ERROR", message, **more)


def validate_properties(object_type: str, props: Any, currencies: tuple[str, ...]) -> dict[str, str | None]:
    if not isinstance(props, dict):
        raise _bad("properties must be an object of property name -> value")
    out: dict[str, str | None] = {}
    for name, value in props.items():
        p = prop(object_type, name, currencies)
        if p is None:
            raise _bad(f'Property "{name}" does not exist', errorType="PROPERTY_DOESNT_EXIST")
        if name in _READ_ONLY:
            raise _bad(f'Property "{name}" is read-only', errorType="READ_ONLY_VALUE")
        text = None if value is None or value == "" else str(value)
        if text is not None and p.type == "enumeration" and p.options and text not in p.options:
            raise _bad(
                f'Property values were not valid: {text!r} was not one of the allowed options for "{name}"'
                f" ({', '.join(p.options)})",
                errorType="INVALID_OPTION",
            )
        if text is not None and p.type == "number":
            try:
                float(text)
            except ValueError:
                raise _bad(
                    f'{text!r} is not a valid number for "{name}"', errorType="INVALID_INTEGER"
                ) from None
        out[name] = text
    return out


def with_defaults(
    object_type: str, props: dict[str, str | None], currencies: tuple[str, ...]
) -> dict[str, str | None]:
    """A new record's properties with the values HubSpot fills in: a multi-currency account's deal that
    names no currency is in the company currency."""
    if object_type == "deals" and len(currencies) > 1 and not props.get(CURRENCY_PROPERTY):
        return {**props, CURRENCY_PROPERTY: currencies[0]}
    return props


class ObjectsApi:
    def __init__(
        self,
        state: State,
        now_ms: Callable[[], int],
        search_cap: Callable[[], int],
        currencies: tuple[str, ...] = ("USD",),
        derive: Derive = _as_given,
    ) -> None:
        self.state = state
        self.now_ms = now_ms
        self.search_cap = search_cap
        self.currencies = currencies
        self.derive = derive

    # -- helpers ---------------------------------------------------------------------------------

    def _resolve(self, object_type: str, key: str, id_property: str | None, archived: bool = False) -> Rec:
        rec: Rec | None
        if id_property and id_property != "hs_object_id":
            p = prop(object_type, id_property)
            if p is None or not p.unique:
                raise _bad(f"{id_property!r} is not a unique property of {object_type}")
            rec = self.state.find_unique(object_type, id_property, key)
        else:
            rec = self.state.get(object_type, int(key), archived) if key.isdigit() else None
        if rec is None:
            raise ApiError(404, "OBJECT_NOT_FOUND", "Object not found.  objectId are usually numeric.")
        return rec

    def _associate_on_create(self, object_type: str, object_id: int, associations: Any) -> None:
        links = []
        for a in associations or []:
            to_id = str((a.get("to") or {}).get("id", ""))
            for spec in a.get("types") or []:
                found = None
                for to_type in SINGULAR:
                    t = association_type(object_type, to_type, int(spec.get("associationTypeId", 0)))
                    if t is not None and t.category == spec.get("associationCategory"):
                        found = t
                if found is None:
                    raise _bad(f"unknown association type {spec}")
                target = self.state.get(found.to_type, int(to_id)) if to_id.isdigit() else None
                if target is None:
                    raise _bad(f"{found.to_type} {to_id} does not exist", errorType="INVALID_OBJECT_IDS")
                back = inverse(found)
                links += [
                    (object_type, object_id, found.to_type, target.id, found.type_id, found.category),
                    (found.to_type, target.id, object_type, object_id, back.type_id, back.category),
                ]
        self.state.associate_many(links)

    def _create(self, object_type: str, body: dict[str, Any]) -> Rec:
        props = with_defaults(
            object_type,
            validate_properties(object_type, body.get("properties") or {}, self.currencies),
            self.currencies,
        )
        props = self.derive(object_type, None, props)
        # A create with an invalid association creates nothing.
        with self.state.lock:
            try:
                rec = self.state.create(object_type, props, self.now_ms())
            except Conflict as exc:
                raise ApiError(409, "CONFLICT", str(exc)) from None
            try:
                self._associate_on_create(object_type, rec.id, body.get("associations"))
            except ApiError:
                self.state.purge(object_type, rec.id)
                raise
        return rec

    def _update(self, rec: Rec, props_in: Any) -> Rec:
        props = self.derive(rec.type, rec.props, validate_properties(rec.type, props_in, self.currencies))
        try:
            updated = self.state.update(rec.type, rec.id, props, self.now_ms())
        except Conflict as exc:
            raise ApiError(409, "CONFLICT", str(exc)) from None
        assert updated is not None
        return updated

    def _batch(self, body: Any) -> list[dict[str, Any]]:
        inputs = (body or {}).get("inputs")
        if not isinstance(inputs, list):
            raise _bad("inputs must be a list")
        if len(inputs) > MAX_BATCH:
            raise _bad(f"Batch input may hold at most {MAX_BATCH} inputs, got {len(inputs)}")
        return inputs

    def _batch_response(
        self, status: int, results: list[dict[str, Any]], errors: list[dict[str, Any]], started: int
    ) -> Response:
        body: dict[str, Any] = {
            "status": "COMPLETE",
            "results": results,
            "startedAt": iso_ms(started),
            "completedAt": iso_ms(self.now_ms()),
        }
        if errors:
            body |= {"errors": errors, "numErrors": len(errors)}
            status = 207
        return Response(status, body)

    # -- endpoints -------------------------------------------------------------------------------

    def handle(self, request: Request, object_type: str, rest: list[str]) -> Response:
        m = request.method
        if not rest:
            if m == "GET":
                return self.list(request, object_type)
            if m == "POST":
                rec = self._create(object_type, request.json() or {})
                return Response(201, object_json(rec, list(rec.props)))
        elif rest == ["search"] and m == "POST":
            return self.search(request, object_type)
        elif len(rest) == 2 and rest[0] == "batch" and m == "POST":
            return self.batch(request, object_type, rest[1])
        elif len(rest) == 1:
            id_property = request.arg("idProperty")
            if m == "GET":
                archived = (request.arg("archived") or "").lower() == "true"
                rec = self._resolve(object_type, rest[0], id_property, archived)
                return Response(200, object_json(rec, requested(request.query.get("properties"))))
            if m == "PATCH":
                rec = self._update(
                    self._resolve(object_type, rest[0], id_property), (request.json() or {}).get("properties")
                )
                return Response(200, object_json(rec, list(rec.props)))
            if m == "DELETE":
                rec = self._resolve(object_type, rest[0], None)
                self.state.archive(object_type, rec.id, self.now_ms())
                return Response(204)
        raise ApiError(404, "OBJECT_NOT_FOUND", f"No route for {m} {request.path}")

    def list(self, request: Request, object_type: str) -> Response:
        limit = int(request.arg("limit", "10") or 10)
        if not 1 <= limit <= MAX_LIST:
            raise _bad(f"limit must be between 1 and {MAX_LIST}")
        after_arg = request.arg("after") or "0"
        if not after_arg.isdigit():
            raise _bad(f"after {after_arg!r} is not a valid paging cursor")
        archived = (request.arg("archived") or "").lower() == "true"
        props = requested(request.query.get("properties"))
        assoc_types = requested(request.query.get("associations")) or []
        recs = self.state.list_page(object_type, int(after_arg), limit + 1, archived)
        page, more = recs[:limit], len(recs) > limit
        linked = {
            to_type: self.state.associated(object_type, [r.id for r in page], to_type)
            for to_type in assoc_types
            if to_type in SINGULAR
        }
        results = []
        for rec in page:
            extra: dict[str, Any] = {}
            for to_type, by_id in linked.items():
                targets = by_id.get(rec.id, {})
                if targets:
                    extra.setdefault("associations", {})[to_type] = {
                        "results": [
                            {"id": str(t), "type": v3_association_name(object_type, to_type, type_id)}
                            for t, types in targets.items()
                            for type_id, _ in types
                        ]
                    }
            results.append(object_json(rec, props, extra))
        body: dict[str, Any] = {"results": results}
        if more:
            after = str(page[-1].id)
            body["paging"] = {"next": {"after": after, "link": f"{request.path}?after={after}"}}
        return Response(200, body)

    def search(self, request: Request, object_type: str) -> Response:
        body = request.json() or {}
        try:
            result = search_mod.search(self.state, object_type, body, self.search_cap())
        except search_mod.SearchError as exc:
            raise _bad(str(exc)) from None
        props = body.get("properties") or None
        out: dict[str, Any] = {
            "total": result.total,
            "results": [object_json(r, props) for r in result.results],
        }
        if result.next_after is not None:
            out["paging"] = {"next": {"after": result.next_after}}
        return Response(200, out)

    def batch(self, request: Request, object_type: str, action: str) -> Response:
        body = request.json() or {}
        inputs = self._batch(body)
        started = self.now_ms()
        results: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        if action == "read":
            props = body.get("properties") or None
            for item in inputs:
                try:
                    rec = self._resolve(object_type, str(item.get("id")), body.get("idProperty"))
                    results.append(object_json(rec, props))
                except ApiError:
                    errors.append(
                        standard_error(
                            "OBJECT_NOT_FOUND", "Could not get some objects", {"ids": [str(item.get("id"))]}
                        )
                    )
            return self._batch_response(200, results, errors, started)
        if action == "archive":
            for item in inputs:
                if str(item.get("id", "")).isdigit():
                    self.state.archive(object_type, int(item["id"]), self.now_ms())
            return Response(204)
        # Writes validate every input first, so a bad input changes nothing.
        checked = [
            validate_properties(object_type, item.get("properties") or {}, self.currencies) for item in inputs
        ]
        if action == "create":
            recs = [self._create(object_type, item) for item in inputs]
            return self._batch_response(201, [object_json(r, list(r.props)) for r in recs], [], started)
        if action == "update":
            targets = [self._resolve(object_type, str(i.get("id")), i.get("idProperty")) for i in inputs]
            recs = [self._update(t, p) for t, p in zip(targets, checked, strict=True)]
            return self._batch_response(200, [object_json(r, list(r.props)) for r in recs], [], started)
        if action == "upsert":
            for item, props in zip(inputs, checked, strict=True):
                id_property = item.get("idProperty")
                p = prop(object_type, id_property or "")
                if not id_property or p is None or not p.unique:
                    raise _bad(f"upsert needs idProperty naming a unique property, got {id_property!r}")
                with self.state.lock:
                    existing = self.state.find_unique(object_type, id_property, str(item.get("id")))
                    if existing is None:
                        rec = self._create(
                            object_type, {"properties": {**props, id_property: item.get("id")}}
                        )
                    else:
                        rec = self._update(existing, props)
                results.append(object_json(rec, list(rec.props), {"new": existing is None}))
            return self._batch_response(200, results, [], started)
        raise ApiError(404, "OBJECT_NOT_FOUND", f"No batch action {action!r}")
