"""The OpenAPI 3.0.3 document of /api/v1, built from the operations `market.web.api.route` recorded.

Marshmallow schemas are turned into JSON Schema here, with the two views of one schema
kept apart: a request body lists what a client must send (`required`), a response lists
what the server always sends (every dumped field), so that a generated client and a
contract tester such as Schemathesis can trust both.
"""

from __future__ import annotations

import enum
import re
from typing import Any

from marshmallow import Schema, fields, validate

# What `market.web.api.route` records of each operation, and the schemas they name.
OPERATIONS: list[dict[str, Any]] = []
SCHEMAS: dict[str, type[Schema]] = {}

OPENAPI_VERSION = "3.0.3"
ERROR_STATUSES = {
    400: "The request is malformed (query parameter, JSON body or number format).",
    401: "A valid bearer token is required.",
    403: "The caller's organisation may not do this.",
    404: "No such record, or not visible to the caller.",
    409: "The request conflicts with the record's state or an existing record.",
    422: "The input is well-formed but not valid; `fields` names each problem.",
    429: "Too many requests; retry after the number of seconds in Retry-After.",
    503: "A service the request needs (database, search, payments) is down for a moment; retry after "
         "the number of seconds in Retry-After.",
}
# The statuses whose answers say when to come back.
RETRY_AFTER = {"Retry-After": {"required": True, "description": "Seconds to wait before retrying.",
                               "schema": {"type": "integer", "minimum": 0}}}
SUCCESS = {200: "OK", 201: "Created"}
_RULE_PART = re.compile(r"<(?:(?P<converter>\w+)(?:\((?P<args>[^)]*)\))?:)?(?P<name>\w+)>")
_ERROR = {"$ref": "#/components/schemas/Error"}


def build_document(operations: list[dict[str, Any]], schemas: dict[str, type[Schema]],
                   server_name: str | None) -> dict:
    """The whole document; `schemas` names the body and response schemas (name → class)."""
    components = _Components({cls: name for name, cls in schemas.items()})
    paths: dict[str, dict] = {}
    for op in sorted(operations, key=lambda o: o["rule"]):
        path, path_params = openapi_path(op["rule"])
        paths.setdefault(path, {})[op["method"]] = _operation(op, path_params, components)
    _add_self_description(paths)
    servers = [{"url": "/api/v1", "description": "This server"}]
    if server_name:
        servers.append({"url": f"https://{server_name}/api/v1"})
    return {
        "openapi": OPENAPI_VERSION,
        # An ASCII title: client generators make a package name of it, and pip refuses a Chinese one.
        "info": {"title": "Patent Supermarket API", "version": "1.0.0", "x-title-zh": "专利超市开放接口",
                 "description": "专利超市开放接口：检索、专利、挂牌、机构、网点、需求匹配与开放许可。\n\n"
                                "Search, patents, listings, organisations and points. Money is "
                                "an integer number of fen (分). Errors always have the shape "
                                "{\"error\": {\"code\", \"message\", \"fields\"}}."},
        "servers": servers,
        "paths": paths,
        "components": {
            "schemas": {"Error": _error_schema(), **components.schemas},
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                               "description": "An API token from 账户 → API 令牌."}},
        },
    }


def openapi_path(rule: str) -> tuple[str, list[dict]]:
    """Flask's `/listings/<int:id>` as `/listings/{id}`, with its path parameters."""
    params = []
    for m in _RULE_PART.finditer(rule):
        params.append({"name": m["name"], "in": "path", "required": True,
                       "schema": _converter_schema(m["converter"] or "string", m["args"] or "")})
    return _RULE_PART.sub(lambda m: "{" + m["name"] + "}", rule), params


def _converter_schema(converter: str, args: str) -> dict:
    if converter == "int":
        schema: dict[str, Any] = {"type": "integer", "minimum": 0}
        for key, value in re.findall(r"(min|max)\s*=\s*(-?\d+)", args):
            schema["minimum" if key == "min" else "maximum"] = int(value)
        return schema
    if converter == "float":
        return {"type": "number", "minimum": 0}
    # Werkzeug's default converter matches any text without a slash.
    return {"type": "string", "pattern": "^[^/]+$"} if converter != "path" else {"type": "string"}


def describe(endpoint: str, **extra: Any) -> None:
    """Add to a recorded operation what `route` has no parameter for.

    Keys read by the builder: also ({status: description} of other successes), errors (more
    error statuses), optional_auth, body_required, path_schemas ({name: schema fragment}) and
    any_of (response schemas of which the answer matches at least one).
    """

    for op in OPERATIONS:
        if op["endpoint"] == endpoint:
            op.update(extra)


def query_params(schema: type[Schema]) -> list[dict]:
    """Query parameters described from a marshmallow arguments schema."""
    instance = schema()
    components = _Components({})
    out = []
    for name, field in instance.load_fields.items():
        param = {"name": field.data_key or name, "in": "query", "required": field.required,
                 "schema": components.field(field, "input")}
        description = param["schema"].pop("description", None)
        if description:
            param["description"] = description
        if isinstance(field, fields.List):
            param.update(style="form", explode=True)
        out.append(param)
    return out


def _operation(op: dict, path_params: list[dict], components: _Components) -> dict:
    auth = op["auth"]
    out: dict[str, Any] = {"operationId": op["endpoint"], "summary": op["summary"], "tags": [op["tag"]]}
    for param in path_params:  # e.g. a pattern the rule's converter cannot express
        param["schema"].update(op.get("path_schemas", {}).get(param["name"], {}))
    params = path_params + [{"required": False, **p} for p in op["params"]]
    if params:
        out["parameters"] = params
    if op["body"] is not None:
        out["requestBody"] = {"required": op.get("body_required", True), "content": {
            "application/json": {"schema": components.ref(op["body"], "input")}}}
    responses: dict[str, Any] = {}
    status = op["status"]
    responses[str(status)] = _success(op, components, SUCCESS.get(status, "OK"))
    for extra, description in op.get("also", {}).items():
        responses[str(extra)] = _success(op, components, description)
    for code in sorted(_error_statuses(op, bool(path_params))):
        responses[str(code)] = {"description": ERROR_STATUSES[code],
                                "content": {"application/json": {"schema": _ERROR}}}
        if code in (429, 503):
            responses[str(code)]["headers"] = RETRY_AFTER
    out["responses"] = responses
    if auth:
        out["security"] = [{"bearerAuth": []}]
    elif op.get("optional_auth"):
        out["security"] = [{}, {"bearerAuth": []}]
    return out


def _success(op: dict, components: _Components, description: str) -> dict:
    if op["response"] is None:
        return {"description": description}
    item = components.ref(op["response"], "output")
    if op.get("any_of"):  # one answer in several shapes, e.g. more fields for the record's owner
        item = {"anyOf": [components.ref(s, "output") for s in op["any_of"]]}
    if op["paginated"]:
        schema = {"type": "object", "required": ["items", "total", "page", "per_page", "pages"],
                  "properties": {"items": {"type": "array", "items": item},
                                 "total": {"type": "integer", "minimum": 0},
                                 "page": {"type": "integer", "minimum": 1},
                                 "per_page": {"type": "integer", "minimum": 1},
                                 "pages": {"type": "integer", "minimum": 1}}}
    elif op["many"]:
        schema = {"type": "array", "items": item}
    else:
        schema = item
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error_statuses(op: dict, has_path_params: bool) -> set[int]:
    # Every operation reads its query string, may be rate limited and needs the database; the
    # rest depend on shape.
    codes = {400, 429, 503, *op.get("errors", ())}
    if op["auth"]:
        codes |= {401, 403}
    if has_path_params or op["method"] != "get":
        codes.add(404)
    if op["method"] != "get":
        codes |= {409, 422}
    return codes


def _error_schema() -> dict:
    return {"type": "object", "required": ["error"], "properties": {"error": {
        "type": "object", "required": ["code", "message"],
        "properties": {
            "code": {"type": "string", "description": "Stable, machine-readable reason."},
            "message": {"type": "string", "description": "In the request's language (?lang=zh|en)."},
            "fields": {"type": "object", "additionalProperties": {},
                       "description": "Per input field, the list of its problems."}}}}}


def _add_self_description(paths: dict) -> None:
    paths["/openapi.json"] = {"get": {
        "operationId": "openapi", "summary": "This OpenAPI document", "tags": ["meta"],
        "responses": {"200": {"description": "OK", "content": {"application/json": {
            "schema": {"type": "object", "required": ["openapi", "paths"]}}}}}}}
    paths["/docs"] = {"get": {
        "operationId": "docs", "summary": "Human-readable API documentation", "tags": ["meta"],
        "responses": {"200": {"description": "OK", "content": {"text/html": {
            "schema": {"type": "string"}}}}}}}


class _Components:
    """Named component schemas, one per (marshmallow schema, direction) reached."""

    def __init__(self, names: dict[type[Schema], str]) -> None:
        self.names = names
        self.schemas: dict[str, dict] = {}
        self._done: dict[tuple[type[Schema], str], str] = {}

    def ref(self, schema: type[Schema] | Schema, role: str) -> dict:
        cls = schema if isinstance(schema, type) else type(schema)
        key = (cls, role)
        if key not in self._done:
            name = self._name(cls, role)
            self._done[key] = name
            self.schemas[name] = {}  # reserve the name first: schemas may nest themselves
            self.schemas[name] = self.object(cls(), role)
        return {"$ref": f"#/components/schemas/{self._done[key]}"}

    def _name(self, cls: type[Schema], role: str) -> str:
        base = self.names.get(cls) or cls.__name__.removesuffix("Schema")
        other = "output" if role == "input" else "input"
        if (cls, other) in self._done:  # one class used both ways gets two components
            base += "Input" if role == "input" else "Output"
        name, n = base, 2
        while name in self.schemas:
            name, n = f"{base}{n}", n + 1
        return name

    def object(self, schema: Schema, role: str) -> dict:
        chosen = schema.load_fields if role == "input" else schema.dump_fields
        properties, required = {}, []
        for name, field in chosen.items():
            key = field.data_key or name
            properties[key] = self.field(field, role)
            # A response always carries every dumped field; a body needs only the required ones.
            if role == "output" or field.required:
                required.append(key)
        out: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            out["required"] = required
        if schema.__doc__ and schema.__doc__ != Schema.__doc__:
            out["description"] = schema.__doc__.strip().splitlines()[0]
        return out

    def field(self, field: fields.Field, role: str) -> dict:
        override = field.metadata.get("json_schema")
        out = dict(override) if override is not None else self._type(field, role)
        for v in _validators(field):
            _apply_validator(out, v)
        if "pattern" in field.metadata:
            out["pattern"] = field.metadata["pattern"]
        if field.allow_none:
            out["nullable"] = True
            if "enum" in out and None not in out["enum"]:
                out["enum"] = [*out["enum"], None]
        if "description" in field.metadata:
            out["description"] = field.metadata["description"]
        default = field.load_default
        if role == "input" and not callable(default) and isinstance(default, (str, int, float, bool)):
            out["default"] = default
        return out

    def _type(self, field: fields.Field, role: str) -> dict:
        if isinstance(field, fields.Nested):
            item = self.ref(field.schema, role)
            return {"type": "array", "items": item} if field.many else item
        if isinstance(field, fields.Pluck):
            return self.field(field.schema.fields[field.field_name], role)
        if isinstance(field, fields.List):
            return {"type": "array", "items": self.field(field.inner, role)}
        if isinstance(field, fields.Tuple):
            return {"type": "array", "minItems": len(field.tuple_fields),
                    "maxItems": len(field.tuple_fields)}
        if isinstance(field, fields.Dict):
            out: dict[str, Any] = {"type": "object"}
            if field.value_field is not None:
                out["additionalProperties"] = self.field(field.value_field, role)
            return out
        if isinstance(field, fields.Enum):
            return _enum_schema(field)
        if isinstance(field, fields.Constant):
            return {"enum": [field.constant]}
        for kind, schema in _SIMPLE:
            if isinstance(field, kind):
                return dict(schema)
        return {}  # Raw, Method and Function fields say nothing unless given a json_schema


# Order matters: subclasses before their bases (Email is a String, Integer a Number, …).
_SIMPLE: list[tuple[type[fields.Field], dict]] = [
    (fields.Email, {"type": "string", "format": "email"}),
    (fields.Url, {"type": "string", "format": "uri"}),
    (fields.UUID, {"type": "string", "format": "uuid"}),
    (fields.String, {"type": "string"}),
    (fields.Boolean, {"type": "boolean"}),
    (fields.Integer, {"type": "integer"}),
    (fields.Float, {"type": "number"}),
    (fields.Decimal, {"type": "number"}),
    (fields.Number, {"type": "number"}),
    (fields.Date, {"type": "string", "format": "date"}),
    (fields.DateTime, {"type": "string", "format": "date-time"}),
    (fields.Time, {"type": "string"}),
    (fields.TimeDelta, {"type": "number"}),
    (fields.IP, {"type": "string"}),
]


def _enum_schema(field: fields.Enum) -> dict:
    members = list(field.enum)
    if field.by_value:
        values = [m.value for m in members]
        if all(isinstance(v, bool) for v in values):
            return {"type": "boolean", "enum": values}
        if all(isinstance(v, int) for v in values):
            return {"type": "integer", "enum": values}
        return {"type": "string", "enum": [str(v) for v in values]}
    return {"type": "string", "enum": [m.name for m in members]}


def _validators(field: fields.Field) -> list:
    return list(getattr(field, "validators", []) or [])


def _apply_validator(out: dict, v: Any) -> None:
    is_array = out.get("type") == "array"
    # A custom validator may say what it accepts, e.g. {"pattern": ...}.
    out.update(getattr(v, "json_schema", None) or {})
    if isinstance(v, validate.OneOf):
        out["enum"] = [c.value if isinstance(c, enum.Enum) else c for c in v.choices]
    elif isinstance(v, validate.Equal):
        out["enum"] = [v.comparable]
    elif isinstance(v, validate.Range):
        if v.min is not None:
            out["minimum"] = v.min
            if not v.min_inclusive:
                out["exclusiveMinimum"] = True
        if v.max is not None:
            out["maximum"] = v.max
            if not v.max_inclusive:
                out["exclusiveMaximum"] = True
    elif isinstance(v, validate.Length):
        low, high = ("minItems", "maxItems") if is_array else ("minLength", "maxLength")
        if v.equal is not None:
            out[low] = out[high] = v.equal
        else:
            if v.min is not None:
                out[low] = v.min
            if v.max is not None:
                out[high] = v.max
