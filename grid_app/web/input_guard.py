"""Refuse NUL characters in any request text before a view runs (PostgreSQL text cannot hold them).

Without this, a %00 in a query string, a path, a form field or a JSON string reached psycopg2, which
raises ValueError, and the client got a 500 instead of a 400.
"""
from __future__ import annotations

from flask import Flask, request

from ..errors import InvalidInput

NUL = "\x00"


def has_nul(value) -> bool:
    """True when a string anywhere in a JSON-like value (keys included) holds a NUL character."""
    stack = [value]
    while stack:  # iterative: a deeply nested body must not exhaust the recursion limit
        item = stack.pop()
        if isinstance(item, str):
            if NUL in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _fields():
    yield from (request.view_args or {}).values()
    for values in (request.args, request.form):
        for key, value in values.items(multi=True):
            yield key
            yield value
    if request.is_json:
        yield request.get_json(silent=True)


def register(app: Flask) -> None:
    """Install the check on every request (file uploads are bytes and are not looked at)."""

    @app.before_request
    def refuse_nul():
        if any(has_nul(value) for value in _fields()):
            raise InvalidInput("text fields must not contain NUL (\\u0000) characters", code="bad_input")
