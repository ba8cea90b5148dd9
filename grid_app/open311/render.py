"""Rendering Open311 answers as JSON or XML (UTF-8, with the XML declaration the spec asks for)."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from grid_app.platform.text import xml_safe

FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
# The element name of each item of a list, by the list's own name.
ITEM_TAGS = {"services": "service", "service_requests": "request", "errors": "error",
             "endpoints": "endpoint", "formats": "format", "attributes": "attribute", "values": "value"}


def render(fmt: str, root: str, body) -> bytes:
    """The body as JSON, or as XML under ``root`` (lists become repeated item elements)."""
    if fmt == "json":
        return json.dumps(body, ensure_ascii=False).encode("utf-8")
    element = ET.Element(root)
    _fill(element, root, body)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(element, encoding="utf-8", xml_declaration=False)


def _fill(element: ET.Element, name: str, value) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(ET.SubElement(element, key), key, item)
    elif isinstance(value, list):
        tag = ITEM_TAGS.get(name, "item")
        for item in value:
            _fill(ET.SubElement(element, tag), tag, item)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        # Cases stored before intake refused control characters must not make the feed ill-formed.
        element.text = xml_safe(str(value))


def errors(items: list[tuple[int, str]]) -> list[dict]:
    """The spec's error list: [{"code": status, "description": text}]."""
    return [{"code": code, "description": text} for code, text in items]
