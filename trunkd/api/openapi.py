"""The OpenAPI 3.1 document served at /openapi.json, generated from the attribute maps that
validate requests (`api/attributes.py`), so a resource or attribute added there is described here.

A new collection needs one `Resource(...)` line in RESOURCES.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from trunkd import __version__
from trunkd.api import attributes as A
from trunkd.api.validators import SCHEMAS
from trunkd.domain import limits as L
from trunkd.domain.listing import TAG_FILTERS

Schema = dict[str, Any]


@dataclass(frozen=True)
class Resource:
    collection: str
    singular: str
    attrs: Mapping[str, A.Attr]
    tags: bool = True
    update: bool = True


RESOURCES = [
    Resource("networks", "network", A.NETWORK),
    Resource("ports", "port", A.PORT),
    Resource("trunks", "trunk", A.TRUNK),
    Resource("subnets", "subnet", A.SUBNET, tags=False),
    Resource("security-groups", "security_group", A.SECURITY_GROUP),
    Resource("security-group-rules", "security_group_rule", A.SECURITY_GROUP_RULE, tags=False, update=False),
]
# the opt-in flags beyond Neutron (api/options.py), on the operations that read them
FLAG: Schema = {"type": "boolean"}
DRY_RUN = {"name": "dry_run", "in": "query", "required": False, "schema": FLAG}
IDEMPOTENT = {"name": "idempotent", "in": "query", "required": False, "schema": FLAG}
SUBPORT_STATUS = {"name": "subport_status", "in": "query", "required": False, "schema": FLAG}

ERROR: Schema = {
    "type": "object",
    "required": ["NeutronError"],
    "additionalProperties": False,
    "properties": {"NeutronError": {
        "type": "object",
        "required": ["type", "message", "detail"],
        "additionalProperties": False,
        "properties": {"type": {"type": "string"}, "message": {"type": "string"}, "detail": {"type": "string"}},
    }},
}
SUBPORT: Schema = {
    "type": "object",
    "required": ["port_id", "segmentation_type", "segmentation_id"],
    "properties": {
        "port_id": {"type": "string", "format": "uuid"},
        "segmentation_type": {"type": "string", "enum": ["vlan", "inherit"]},
        "segmentation_id": {"type": "integer", "minimum": 1, "maximum": 4094},
    },
}
SUBPORTS_BODY: Schema = {
    "type": "object", "required": ["sub_ports"],
    "properties": {"sub_ports": {"type": "array", "items": SUBPORT, "maxItems": L.MAX_SUBPORTS}},
}
TAGS: Schema = {"type": "array", "items": SCHEMAS[A.v.tag], "maxItems": L.MAX_TAGS}
ID_PARAM: Schema = {"name": "id", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 255}}
PROJECT_PARAM: Schema = {"name": "project_id", "in": "path", "required": True,
                         "schema": {"type": "string", "maxLength": 255}}
QUOTA_LIMIT: Schema = {"type": "integer", "minimum": -1, "maximum": 2**31 - 1}
QUOTA: Schema = {"type": "object", "properties": {k: QUOTA_LIMIT for k in ("security_group", "security_group_rule")}}
QUOTA_BODY: Schema = {"type": "object", "properties": {**QUOTA["properties"], "force": {"type": "boolean"}},
                      "additionalProperties": False}
HOST_PARAM: Schema = {"name": "host", "in": "path", "required": True,
                      "schema": {"type": "string", "maxLength": 255}}


def _value_schema(attr: A.Attr) -> Schema:
    return dict(SCHEMAS.get(attr.check, {}))


def _read_schema(name: str, attr: A.Attr) -> Schema:
    """A response property: the accepted type, possibly null (unset provider or binding values)."""
    if name == "tags":
        return {"type": "array", "items": {"type": "string"}}
    kind = SCHEMAS.get(attr.check, {}).get("type")
    return {"type": [kind, "null"]} if kind else {}


def _resource_schema(res: Resource, *, whole: bool = True) -> Schema:
    """A resource as shown; `whole=False` when `fields` may have asked for only some keys."""
    schema: Schema = {
        "type": "object",
        "properties": {name: _read_schema(name, attr) for name, attr in res.attrs.items()},
    }
    if whole:
        schema["required"] = ["id"]
    return schema


def _write_schema(attrs: Mapping[str, A.Attr], *, create: bool) -> Schema:
    allowed = {n: a for n, a in attrs.items() if (a.post if create else a.put)}
    schema: Schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {n: _value_schema(a) for n, a in allowed.items()},
    }
    required = [n for n, a in allowed.items() if a.required and create]
    if required:
        schema["required"] = required
    return schema


def _json(schema: Schema) -> Schema:
    return {"content": {"application/json": {"schema": schema}}}


def _wrapped(key: str, schema: Schema) -> Schema:
    return {"type": "object", "required": [key], "properties": {key: schema}}


def _op(summary: str, ok: int | tuple[int, ...], body: Schema | None = None, response: Schema | None = None,
        params: list[Schema] | None = None) -> Schema:
    codes = ok if isinstance(ok, tuple) else (ok,)
    responses: Schema = {
        str(code): {"description": "success", **(_json(response) if response else {})} for code in codes
    }
    responses["4XX"] = {"description": "NeutronError", **_json(ERROR)}
    responses["503"] = {"description": "database unavailable; retry after Retry-After seconds", **_json(ERROR)}
    op: Schema = {"summary": summary, "responses": responses}
    if body is not None:
        op["requestBody"] = {"required": True, **_json(body)}
    if params:
        op["parameters"] = params
    return op


def _query(name: str, schema: Schema) -> Schema:
    return {"name": name, "in": "query", "required": False, "schema": schema}


def _list_params(attrs: Mapping[str, A.Attr]) -> list[Schema]:
    text = {"type": "string", "maxLength": L.MAX_VALUE_LEN}
    # typed filters (integers, booleans) are described as such, so the fuzzer sends huge numbers too
    params = [_query(n, SCHEMAS.get(a.filter, text)) for n, a in attrs.items() if a.filter is not None]
    params += [_query(t, text) for t in TAG_FILTERS]
    sortable = [n for n, a in attrs.items() if a.sort]
    params += [
        _query("fields", text),
        _query("sort_key", {"type": "string", "enum": sortable}),
        _query("sort_dir", {"type": "string", "enum": ["asc", "desc"]}),
        _query("limit", {"type": "integer", "minimum": 0}),
        _query("marker", {"type": "string", "format": "uuid"}),
        _query("page_reverse", {"type": "boolean"}),
    ]
    return params


def _resource_paths(res: Resource) -> dict[str, Schema]:
    one, many = res.singular, res.collection
    key = many.replace("-", "_")  # the body's key (`security_groups` for /v2.0/security-groups)
    item = _resource_schema(res)
    create = _write_schema(res.attrs, create=True)
    body = {"anyOf": [_wrapped(one, create),
                      _wrapped(key, {"type": "array", "items": create, "minItems": 1, "maxItems": L.MAX_BULK})]}
    some = _resource_schema(res, whole=False)
    listed = _wrapped(key, {"type": "array", "items": some})
    paths: dict[str, Schema] = {
        f"/v2.0/{many}": {
            "get": _op(f"List {many}", 200, response=listed, params=_list_params(res.attrs)),
            "post": _op(f"Create one or more {many}", 201, body=body,
                        response={"anyOf": [_wrapped(one, item), _wrapped(key, {"type": "array", "items": item})]}),
        },
        f"/v2.0/{many}/{{id}}": {
            "parameters": [ID_PARAM],
            "get": _op(f"Show a {one}", 200, response=_wrapped(one, some),
                       params=[_query("fields", {"type": "string"})]),
            "put": _op(f"Update a {one}", 200, body=_wrapped(one, _write_schema(res.attrs, create=False)),
                       response=_wrapped(one, item)),
            "delete": _op(f"Delete a {one}", 204),
        },
    }
    if not res.update:
        del paths[f"/v2.0/{many}/{{id}}"]["put"]
    if res.tags:
        tag_param = {"name": "tag", "in": "path", "required": True, "schema": SCHEMAS[A.v.tag]}
        tags_body = {"type": "object", "required": ["tags"], "additionalProperties": False,
                     "properties": {"tags": TAGS}}
        paths[f"/v2.0/{many}/{{id}}/tags"] = {
            "parameters": [ID_PARAM],
            "get": _op(f"Tags of a {one}", 200, response=tags_body),
            "put": _op(f"Replace the tags of a {one}", 200, body=tags_body, response=tags_body),
            "post": _op(f"Add tags to a {one}", 200, body=tags_body, response=tags_body),
            "delete": _op(f"Remove every tag of a {one}", 204),
        }
        paths[f"/v2.0/{many}/{{id}}/tags/{{tag}}"] = {
            "parameters": [ID_PARAM, tag_param],
            "get": _op(f"Whether a {one} has a tag", 204),
            "put": _op(f"Add one tag to a {one}", 201),
            "delete": _op(f"Remove one tag from a {one}", 204),
        }
    return paths


def _with_params(op: Schema, *params: Schema) -> Schema:
    return {**op, "parameters": [*op.get("parameters", []), *params]}


def _feature_params(paths: dict[str, Schema]) -> None:
    """The #13 flags on the operations that take them: dry runs, per-subport status, cascade delete."""
    trunks, trunk = paths["/v2.0/trunks"], paths["/v2.0/trunks/{id}"]
    trunks["post"] = _with_params(trunks["post"], DRY_RUN)
    trunks["post"]["responses"] = {"200": trunks["post"]["responses"]["201"],  # a dry run: nothing made
                                   **trunks["post"]["responses"]}
    trunks["get"] = _with_params(trunks["get"], SUBPORT_STATUS)
    trunk["get"] = _with_params(trunk["get"], SUBPORT_STATUS)
    port = paths["/v2.0/ports/{id}"]
    port["delete"] = _with_params(port["delete"], {"name": "cascade", "in": "query", "required": False,
                                                   "schema": {"type": "string", "enum": ["trunk"]}})
    port["get"] = _with_params(port["get"], SUBPORT_STATUS)


def _trunk_action_paths() -> dict[str, Schema]:
    trunk = _resource_schema(next(r for r in RESOURCES if r.collection == "trunks"))
    subports = _wrapped("sub_ports", {"type": "array", "items": SUBPORT})
    outcome = {"type": "object", "required": ["port_id", "outcome"]}
    status_body = {"type": "object", "required": ["status", "revision_number"], "properties": {
        "status": {"type": "string", "enum": ["ACTIVE", "DOWN", "BUILD", "DEGRADED", "ERROR"]},
        "revision_number": {"type": "integer", "minimum": 0, "maximum": L.MAX_INT},
        "reason": {"type": "string", "maxLength": L.MAX_REASON_LEN},
    }}
    bind_body = {"type": "object", "properties": {"sub_ports": {
        "type": "array", "items": {"type": "object", "required": ["port_id"],
                                   "properties": {"port_id": {"type": "string", "format": "uuid"}}}}}}
    port_status_body = {"type": "object", "required": ["ports"], "properties": {"ports": {
        "type": "array", "items": {"type": "object", "required": ["port_id", "status"], "properties": {
            "port_id": {"type": "string", "format": "uuid"},
            "status": {"enum": ["ACTIVE", "DOWN", "BUILD", "ERROR"]}}}}}}
    return {
        "/v2.0/trunks/{id}/add_subports": {"parameters": [ID_PARAM], "put": _op(
            "Add subports", 200, body=SUBPORTS_BODY, response=trunk, params=[DRY_RUN, IDEMPOTENT])},
        "/v2.0/trunks/{id}/remove_subports": {"parameters": [ID_PARAM], "put": _op(
            "Remove subports", 200, body=SUBPORTS_BODY, response=trunk, params=[DRY_RUN, IDEMPOTENT])},
        "/v2.0/trunks/{id}/sub_ports": {"parameters": [ID_PARAM], "put": _op(
            "Set the whole subport list (desired state)", 200, body=SUBPORTS_BODY, params=[DRY_RUN],
            response={"type": "object", "required": ["trunk", "changes"], "properties": {
                "trunk": trunk,
                "changes": {"type": "object", "required": ["added", "removed", "retagged"], "properties": {
                    k: {"type": "array", "items": {"type": "object", "required": ["port_id"]}}
                    for k in ("added", "removed", "retagged")}}}})},
        "/v2.0/trunks/{id}/get_subports": {"parameters": [ID_PARAM], "get": _op(
            "List subports", 200, response=subports)},
        "/v2.0/trunks/{id}/bind_subports": {"parameters": [ID_PARAM], "put": _op(
            "Agent: bind subports to the parent's host", 200, body=bind_body,
            response={"type": "object", "properties": {"trunk": trunk,
                                                       "sub_ports": {"type": "array", "items": outcome}}})},
        "/v2.0/trunks/{id}/status": {"parameters": [ID_PARAM], "put": _op(
            "Agent: report a trunk's status", 200, body=status_body, response=_wrapped("trunk", trunk))},
        "/v2.0/hosts/{host}/port_status": {"parameters": [HOST_PARAM], "put": _op(
            "Agent: report the statuses of ports bound to a host", 200, body=port_status_body,
            response={"type": "object", "required": ["ports"], "properties": {"ports": {
                "type": "array", "items": {"type": "object", "required": ["port_id"]}}}})},
    }


def _other_paths() -> dict[str, Schema]:
    obj: Schema = {"type": "object"}
    agent = {"type": "object", "required": ["id", "host", "agent_type"]}
    return {
        "/": {"get": _op("API versions", 200, response=_wrapped("versions", {"type": "array"}))},
        "/v2.0/": {"get": _op("Core resources", 200, response=_wrapped("resources", {"type": "array"}))},
        "/v2.0/extensions": {"get": _op("Extensions", 200, response=_wrapped("extensions", {"type": "array"}))},
        "/v2.0/extensions/{alias}": {
            "parameters": [{"name": "alias", "in": "path", "required": True, "schema": {"type": "string"}}],
            "get": _op("One extension", 200, response=_wrapped("extension", obj)),
        },
        "/v2.0/agents": {
            "get": _op("List agents", 200, response=_wrapped("agents", {"type": "array", "items": agent}),
                       params=[_query("host", {"type": "string"}), _query("agent_type", {"type": "string"})]),
            "post": _op("Agent registration (201) or heartbeat (200)", (200, 201),
                        body=_wrapped("agent", _write_schema(A.AGENT, create=True)),
                        response=_wrapped("agent", agent)),
        },
        "/v2.0/agents/{id}": {
            "parameters": [ID_PARAM],
            "get": _op("Show an agent", 200, response=_wrapped("agent", agent)),
            "delete": _op("Delete an agent", 204),
        },
        "/v2.0/quotas": {"get": _op("Projects whose quotas differ from the defaults", 200,
                                    response=_wrapped("quotas", {"type": "array", "items": obj}))},
        "/v2.0/quotas/{project_id}": {
            "parameters": [PROJECT_PARAM],
            "get": _op("A project's quotas", 200, response=_wrapped("quota", QUOTA)),
            "put": _op("Set a project's quotas", 200, body=_wrapped("quota", QUOTA_BODY),
                       response=_wrapped("quota", QUOTA)),
            "delete": _op("Reset a project's quotas to the defaults", 204),
        },
        "/v2.0/quotas/{project_id}/default": {
            "parameters": [PROJECT_PARAM],
            "get": _op("The default quotas", 200, response=_wrapped("quota", QUOTA)),
        },
        "/v2.0/events": {"get": _op(
            "Event feed (long-poll)", 200,
            response={"type": "object", "required": ["events", "next_after", "latest"]},
            params=[_query("after", {"type": "integer", "minimum": 0}),
                    _query("limit", {"type": "integer", "minimum": 1}),
                    _query("wait", {"type": "number", "minimum": 0, "maximum": 60}),
                    _query("resource_type", {"type": "string"}), _query("host", {"type": "string"})])},
    }


@cache
def document() -> Schema:
    paths: dict[str, Schema] = {}
    for res in RESOURCES:
        paths.update(_resource_paths(res))
    _feature_params(paths)
    paths.update(_trunk_action_paths())
    paths.update(_other_paths())
    return {
        "openapi": "3.1.0",
        "info": {"title": "trunkd: OpenStack Neutron v2.0 trunk API", "version": __version__},
        "paths": paths,
    }


async def serve(_request: Request) -> Response:
    return JSONResponse(document())


ROUTES = [Route("/openapi.json", serve, methods=["GET"])]
