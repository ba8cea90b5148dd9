"""Language choice: Chinese by default, English on request (?lang=en, remembered in the session)."""
from __future__ import annotations

from flask import current_app, request, session


def select_locale() -> str:
    """Pick the UI language: ?lang=, then the session, then the configured default (zh)."""
    languages = current_app.config["LANGUAGES"]
    asked = request.args.get("lang")
    if asked in languages:
        session["lang"] = asked
        return asked
    remembered = session.get("lang")
    if remembered in languages:
        return remembered
    return current_app.config["BABEL_DEFAULT_LOCALE"]
