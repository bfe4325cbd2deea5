"""The two wire formats of GeoReport v2. Responses are built once as plain Python values (dicts in the
specification's field order, lists, str, numbers, bools, None) and rendered here: JSON by the Spark convention the
specification names (a list is an array), XML with the standard library's ElementTree, schemaless and without a
namespace, a list element's children named by the singular the specification uses (<services><service>,
<service_requests><request>, <errors><error>, <values><value>, <formats><format>)."""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree as ET

from fastapi.responses import Response

CHILD = {"services": "service", "service_requests": "request", "errors": "error", "attributes": "attribute",
         "values": "value", "endpoints": "endpoint", "formats": "format"}
MEDIA = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(parent: ET.Element, name: str, value: Any) -> None:
    element = ET.SubElement(parent, name)
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(element, key, item)
    elif isinstance(value, list):
        for item in value:
            _fill(element, CHILD[name], item)
    else:
        element.text = _text(value)


def to_xml(root: str, value: Any) -> bytes:
    """`root` names the document element; a list value becomes its repeated children."""
    element = ET.Element(root)
    if isinstance(value, list):
        for item in value:
            _fill(element, CHILD[root], item)
    else:
        for key, item in value.items():
            _fill(element, key, item)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(element, encoding="unicode").encode("utf-8")


def to_json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def render(fmt: str, root: str, value: Any, status_code: int = 200) -> Response:
    body = to_xml(root, value) if fmt == "xml" else to_json(value)
    return Response(body, status_code=status_code, media_type=MEDIA["xml" if fmt == "xml" else "json"])


def errors(fmt: str, status_code: int, *descriptions: str) -> Response:
    """The specification's error document: [{code, description}], the code being the HTTP status."""
    return render(fmt, "errors", [{"code": status_code, "description": d} for d in descriptions], status_code)


def format_of_path(path: str) -> str:
    """Which format an error should be written in: the resource's suffix, read case-insensitively (a client
    that asked for .XML parses XML), JSON when there is none."""
    tail = path.rsplit("/", 1)[-1]
    return "xml" if tail.rpartition(".")[2].lower() == "xml" else "json"
