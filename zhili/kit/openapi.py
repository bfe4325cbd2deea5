"""The OpenAPI schema tells the truth about errors: every JSON API operation documents the 4xx answers the error
handlers in zhili/app.py give, with their real body {code, message, field} (FastAPI's default 422 would describe
its own {"detail": [...]}, which this app never sends). Clients and API fuzzers read the schema; an undocumented
status or a wrong error body there is a bug like any other."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "required": ["code", "message", "field"],
    "properties": {
        "code": {"type": "string", "description": "稳定的错误代码，如 invalid、not_found、forbidden"},
        "message": {"type": "string", "description": "给用户看的中文说明"},
        "field": {"anyOf": [{"type": "string"}, {"type": "null"}], "description": "出错的字段；无则为 null"},
    },
}
# Status -> description, for every operation under /api; 401 only where the operation needs a token.
API_ERRORS = {
    400: "请求无效",
    401: "未登录、令牌无效或已过期",
    403: "无此权限",
    404: "记录不存在或不在您的辖区内",
    409: "冲突：当前状态不允许，或记录已被他人同时修改",
    422: "输入无效：field 指出出错的字段",
}
_REF = {"$ref": "#/components/schemas/Error"}
_DEFAULT_422 = {"$ref": "#/components/schemas/HTTPValidationError"}


def document_errors(app: FastAPI) -> None:
    """Wrap app.openapi so the generated schema (built once, then cached by FastAPI) carries the error answers."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
        for path, item in schema.get("paths", {}).items():
            if not path.startswith("/api/"):
                continue
            for operation in item.values():
                _add_errors(operation)
        schemas = schema["components"]["schemas"]
        if "HTTPValidationError" not in str(schema.get("paths")):  # nothing refers to FastAPI's 422 body now
            schemas.pop("HTTPValidationError", None)
            schemas.pop("ValidationError", None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _add_errors(operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    content = {"application/json": {"schema": _REF}}
    for status, description in API_ERRORS.items():
        current = responses.get(str(status))
        if current is None:
            if status != 401 or operation.get("security"):
                responses[str(status)] = {"description": description, "content": content}
        elif current.get("content", {}).get("application/json", {}).get("schema") == _DEFAULT_422:
            responses[str(status)] = {"description": description, "content": content}
        elif "content" not in current:
            current["content"] = content
    operation["responses"] = dict(sorted(responses.items()))
