"""Associations v4 (batch read <= 1,000, create with labels, label archive, label definitions) and the
Properties API (names, types and case-sensitive picklist options)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sandbox.httpbase import Request, Response
from sandbox.hubspot.objects_api import ApiError
from sandbox.hubspot.records import SINGULAR, standard_error
from sandbox.hubspot.schema import (
    OBJECT_TYPE_IDS,
    Prop,
    account_props,
    association_type,
    inverse,
    labels,
)
from sandbox.hubspot.state import State, iso_ms

MAX_ASSOC_BATCH = 1_000
ASSOC_PAGE = 500  # targets per source object in one batch-read result


def _object_type(name: str) -> str:
    if name in SINGULAR:
        return name
    for plural, single in SINGULAR.items():
        if name == single or name == OBJECT_TYPE_IDS[plural]:
            return plural
    raise ApiError(400, "VALIDATION_ERROR", f"Unknown object type {name!r}")


def _spec(from_type: str, to_type: str, type_id: int, category: str) -> dict[str, Any]:
    t = association_type(from_type, to_type, type_id)
    return {"category": category, "typeId": type_id, "label": t.label if t else None}


class AssociationsApi:
    def __init__(self, state: State, now_ms: Callable[[], int]) -> None:
        self.state = state
        self.now_ms = now_ms

    def _types(self, from_type: str, to_type: str, specs: Any) -> list[tuple[int, str, int, str]]:
        """[(type_id, category, inverse type id, inverse category)] for a list of association specs."""
        out = []
        for spec in specs or []:
            t = association_type(from_type, to_type, int(spec.get("associationTypeId", 0)))
            if t is None or t.category != spec.get("associationCategory"):
                raise ApiError(
                    400, "VALIDATION_ERROR", f"invalid association type {spec} for {from_type}->{to_type}"
                )
            back = inverse(t)
            out.append((t.type_id, t.category, back.type_id, back.category))
        return out

    def _exists(self, object_type: str, object_id: str) -> int:
        rec = self.state.get(object_type, int(object_id)) if str(object_id).isdigit() else None
        if rec is None:
            raise ApiError(404, "OBJECT_NOT_FOUND", f"{object_type} {object_id} does not exist")
        return rec.id

    def handle_object(self, request: Request, parts: list[str]) -> Response:
        """/crm/v4/objects/{type}/{id}/associations/{toType}[/{toId}]"""
        if len(parts) < 4 or parts[2] != "associations":
            raise ApiError(404, "OBJECT_NOT_FOUND", f"No route for {request.path}")
        from_type, to_type = _object_type(parts[0]), _object_type(parts[3])
        from_id = self._exists(from_type, parts[1])
        if len(parts) == 4 and request.method == "GET":
            linked = self.state.associated(from_type, [from_id], to_type).get(from_id, {})
            return Response(200, {"results": self._targets(from_type, to_type, linked)})
        if len(parts) != 5:
            raise ApiError(404, "OBJECT_NOT_FOUND", f"No route for {request.path}")
        to_id = self._exists(to_type, parts[4])
        if request.method == "PUT":
            types = self._types(from_type, to_type, request.json())
            self.state.associate_many(
                row
                for type_id, cat, back_id, back_cat in types
                for row in (
                    (from_type, from_id, to_type, to_id, type_id, cat),
                    (to_type, to_id, from_type, from_id, back_id, back_cat),
                )
            )
            current = self.state.associated(from_type, [from_id], to_type).get(from_id, {}).get(to_id, [])
            label_names = [
                s["label"] for s in (_spec(from_type, to_type, t, c) for t, c in current) if s["label"]
            ]
            return Response(
                201,
                {
                    "fromObjectTypeId": OBJECT_TYPE_IDS[from_type],
                    "fromObjectId": from_id,
                    "toObjectTypeId": OBJECT_TYPE_IDS[to_type],
                    "toObjectId": to_id,
                    "labels": label_names,
                },
            )
        if request.method == "DELETE":
            pair = self.state.associated(from_type, [from_id], to_type).get(from_id, {}).get(to_id, [])
            rows: list[tuple[str, int, str, int, int]] = []
            for type_id, _ in pair:
                t = association_type(from_type, to_type, type_id)
                assert t is not None
                rows += [
                    (from_type, from_id, to_type, to_id, type_id),
                    (to_type, to_id, from_type, from_id, inverse(t).type_id),
                ]
            self.state.remove_links(rows)
            return Response(204)
        raise ApiError(404, "OBJECT_NOT_FOUND", f"No route for {request.method} {request.path}")

    def _targets(
        self, from_type: str, to_type: str, linked: dict[int, list[tuple[int, str]]]
    ) -> list[dict[str, Any]]:
        return [
            {"toObjectId": to_id, "associationTypes": [_spec(from_type, to_type, t, c) for t, c in types]}
            for to_id, types in linked.items()
        ]

    def handle_pair(self, request: Request, parts: list[str]) -> Response:
        """/crm/v4/associations/{from}/{to}/(batch/read|batch/labels/archive|labels)"""
        from_type, to_type = _object_type(parts[0]), _object_type(parts[1])
        action = "/".join(parts[2:])
        if action == "labels" and request.method == "GET":
            return Response(
                200,
                {
                    "results": [
                        {"category": t.category, "typeId": t.type_id, "label": t.label}
                        for t in labels(from_type, to_type)
                    ]
                },
            )
        inputs = (request.json() or {}).get("inputs")
        if request.method != "POST" or not isinstance(inputs, list):
            raise ApiError(
                404 if request.method != "POST" else 400, "VALIDATION_ERROR", f"bad request to {request.path}"
            )
        if action == "batch/read":
            return self._batch_read(from_type, to_type, inputs)
        if action == "batch/labels/archive":
            rows = []
            for item in inputs:
                from_id = int(item["from"]["id"])
                to_id = int(item["to"]["id"])
                for type_id, _, back_id, _ in self._types(from_type, to_type, item.get("types")):
                    rows += [
                        (from_type, from_id, to_type, to_id, type_id),
                        (to_type, to_id, from_type, from_id, back_id),
                    ]
            self.state.remove_links(rows)
            return Response(204)
        raise ApiError(404, "OBJECT_NOT_FOUND", f"No route for {request.path}")

    def _batch_read(self, from_type: str, to_type: str, inputs: list[Any]) -> Response:
        if len(inputs) > MAX_ASSOC_BATCH:
            raise ApiError(
                400,
                "VALIDATION_ERROR",
                f"Batch input may hold at most {MAX_ASSOC_BATCH} inputs, got {len(inputs)}",
            )
        started = self.now_ms()
        ids = [int(i["id"]) for i in inputs if str(i.get("id", "")).isdigit()]
        linked = self.state.associated(from_type, ids, to_type)
        results, missing = [], []
        for item in inputs:
            key = str(item.get("id", ""))
            targets = linked.get(int(key)) if key.isdigit() else None
            if not targets:
                missing.append(key)
                continue
            after = int(item.get("after") or 0)
            pairs = [(k, v) for k, v in targets.items() if k > after]
            page = dict(pairs[:ASSOC_PAGE])
            result: dict[str, Any] = {"from": {"id": key}, "to": self._targets(from_type, to_type, page)}
            if len(pairs) > ASSOC_PAGE:
                result["paging"] = {"next": {"after": str(max(page))}}
            results.append(result)
        body: dict[str, Any] = {
            "status": "COMPLETE",
            "results": results,
            "startedAt": iso_ms(started),
            "completedAt": iso_ms(self.now_ms()),
        }
        if missing:
            body["errors"] = [
                standard_error(
                    "OBJECT_NOT_FOUND",
                    f"No {to_type} is associated with {from_type} {m}",
                    {"fromObjectId": [m]},
                )
                for m in missing
            ]
            body["numErrors"] = len(missing)
            return Response(207, body)
        return Response(200, body)


def property_json(object_type: str, p: Prop) -> dict[str, Any]:
    return {
        "name": p.name,
        "label": p.label or p.name.replace("_", " ").capitalize(),
        "type": p.type,
        "fieldType": p.field_type,
        "groupName": f"{object_type[:-1]}information",
        "description": "",
        "hasUniqueValue": p.unique,
        "options": [
            {
                "label": p.option_labels.get(v, v.replace("_", " ").title()),
                "value": v,
                "displayOrder": i,
                "hidden": False,
            }
            for i, v in enumerate(p.options)
        ],
    }


def properties_response(request: Request, parts: list[str], currencies: tuple[str, ...]) -> Response:
    """/crm/v3/properties/{type}[/{name}]; `currencies`: the account's (a deal's currency options)."""
    object_type = _object_type(parts[0])
    if request.method != "GET":
        raise ApiError(405, "VALIDATION_ERROR", "the sandbox portal's properties are read-only")
    props = account_props(object_type, currencies)
    if len(parts) == 1:
        return Response(200, {"results": [property_json(object_type, p) for p in props]})
    for p in props:
        if p.name == parts[1]:
            return Response(200, property_json(object_type, p))
    raise ApiError(404, "OBJECT_NOT_FOUND", f"Property {parts[1]!r} does not exist")
