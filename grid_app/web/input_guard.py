"""Check every request's text before a view runs: JSON that parses within limits, no control characters.

- A JSON body must parse, be at most JSON_MAX_BYTES (413) and nest at most JSON_MAX_DEPTH deep
  (400 ``bad_json``). Python's parser recurses: 5,000 '[' raised RecursionError, a 500 everywhere.
- No text anywhere in the request (path, query string, form fields, JSON strings and keys) may hold a
  C0/C1 control character other than tab, newline and carriage return, a lone surrogate or a Unicode
  non-character (400 ``bad_input`` naming the field). PostgreSQL refuses NUL (a 500 once), and the
  others made XML feeds and Excel exports ill-formed for every reader once they were stored.
"""
from __future__ import annotations

from typing import Iterator

from flask import Flask, current_app, request
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

from grid_app.platform.errors import InvalidInput
from grid_app.platform.text import refuse_controls

JSON_MAX_BYTES = 1024 * 1024  # a 10,000-point locate batch is about 400 KB
JSON_MAX_DEPTH = 32


def json_body(max_bytes: int, max_depth: int):
    """The request's JSON body, parsed once (Flask caches it for the view) within the limits."""
    if request.content_length is not None and request.content_length > max_bytes:
        raise RequestEntityTooLarge(f"a JSON body may hold at most {max_bytes} bytes")
    if len(request.get_data(cache=True)) > max_bytes:  # no Content-Length (chunked): measure what came
        raise RequestEntityTooLarge(f"a JSON body may hold at most {max_bytes} bytes")
    try:
        body = request.get_json()
    except (BadRequest, RecursionError) as exc:  # RecursionError: nesting deeper than the C parser allows
        raise InvalidInput("the body is not valid JSON", code="bad_json") from exc
    if depth(body) > max_depth:
        raise InvalidInput(f"JSON nests deeper than {max_depth} levels", code="bad_json")
    return body


def depth(value) -> int:
    """How deep lists and objects nest in a JSON value (a scalar is 0), without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            level += 1
            deepest = max(deepest, level)
            stack.extend((child, level) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def json_strings(value, name: str = "body") -> Iterator[tuple[str, str]]:
    """Every (field name, text) in a JSON value, keys included; fields named like 'contact.phone', 'points[3]'."""
    stack = [(value, name)]
    while stack:  # iterative: the depth limit already holds, but walking costs nothing extra this way
        item, where = stack.pop()
        if isinstance(item, str):
            yield where, item
        elif isinstance(item, dict):
            for key, child in item.items():
                inner = str(key) if where == "body" else f"{where}.{key}"
                yield f"a field name in {where}", str(key)
                stack.append((child, inner))
        elif isinstance(item, list):
            stack.extend((child, f"{where}[{i}]") for i, child in enumerate(item))


def request_strings() -> Iterator[tuple[str, str]]:
    """Every (field name, text) of the current request but file uploads (which are bytes)."""
    for key, value in (request.view_args or {}).items():
        if isinstance(value, str):
            yield key, value
    for values in (request.args, request.form):
        for key, value in values.items(multi=True):
            yield "a field name", key
            yield key, value
    # An empty body with a JSON content type (some clients send the header on every GET) holds no text.
    if request.is_json and (request.content_length or request.get_data(cache=True)):
        config = current_app.config
        yield from json_strings(json_body(config.get("JSON_MAX_BYTES", JSON_MAX_BYTES),
                                          config.get("JSON_MAX_DEPTH", JSON_MAX_DEPTH)))


def register(app: Flask) -> None:
    """Install the check on every request."""

    @app.before_request
    def guard_input():
        for field, value in request_strings():
            refuse_controls(value, field)
