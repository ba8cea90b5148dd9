"""Language and time zone: Chinese by default, English on request (?lang=en, remembered in the session).

The request's language and the display time zone are each read here, once; code that runs without a
request (scripts, map builders) takes them as arguments, with `translator` for the labels.
"""
from __future__ import annotations

import os
from typing import Callable
from zoneinfo import ZoneInfo

from babel.support import Translations
from flask import current_app, request, session
from flask_babel import get_locale

TRANSLATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "translations")


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


def ui_language() -> str:
    """The UI language code of this request ("zh" or "en")."""
    locale = get_locale()
    return locale.language if locale else "zh"


def display_zone(config=None) -> ZoneInfo:
    """The display time zone (DISPLAY_TIMEZONE of `config`, else of the current app): times are shown in it."""
    return ZoneInfo((current_app.config if config is None else config)["DISPLAY_TIMEZONE"])


def translator(lang: str) -> Callable[..., str]:
    """A gettext for one language without a request (scripts): the same catalogue as the pages."""
    catalogue = Translations.load(TRANSLATIONS_DIR, [lang], "messages")

    def gettext(msgid: str, **variables) -> str:
        text = catalogue.ugettext(msgid)
        return text % variables if variables else text
    return gettext
