"""Every `flask grid` command is one transaction and fails in one line: rolled back, never a traceback.

A command's domain functions only flush; the command ends with `finish(action, detail)`, which adds
its audit record and commits once. Any error before that rolls the whole command back. Work that is
by design separate (the coverage job after an import, the files of a restore) runs after `finish`,
and an error there says what was already saved. GRID_APP_TRACEBACK=1 shows the traceback for
debugging.
"""
from __future__ import annotations

import functools
import os
import sys

import click
from flask.cli import AppGroup

from grid_app.extensions import db
from grid_app.platform import audit
from grid_app.platform.errors import DomainError

_SAVED = "grid_app.saved"  # click context meta: what the command has already committed


class GridGroup(AppGroup):
    """An AppGroup whose commands are guarded: one-line errors, rolled back, nothing half-written."""

    def command(self, *args, **kwargs):
        """Like AppGroup.command; the guard runs inside the app context, around the callback."""
        outer = super().command(*args, **kwargs)
        return lambda f: outer(_guarded(f))


def finish(action: str | None, detail: dict | None = None, *, saved: str | None = None) -> None:
    """Add the command's audit record (when action is given) and commit its one transaction."""
    if action:
        audit.record(db.session, action, detail)
    db.session.commit()
    mark_saved(saved or action or "the change")


def mark_saved(what: str) -> None:
    """Note that `what` is committed, so a later failure does not claim that nothing was written."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.meta[_SAVED] = what


def _guarded(f):
    @functools.wraps(f)
    def run(*args, **kwargs):
        try:
            return f(*args, **kwargs)
        except SystemExit as exc:
            if exc.code:  # a refusal the command printed itself: drop whatever it had flushed
                db.session.rollback()
            raise
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            db.session.rollback()
            raise
        except DomainError as exc:
            _fail(exc.message, 2)
        except Exception as exc:  # noqa: BLE001  (the one place an unexpected error becomes one line)
            if os.environ.get("GRID_APP_TRACEBACK"):
                db.session.rollback()
                raise
            _fail(f"{type(exc).__name__}: {one_line(exc)}", 1)
    return run


def _fail(message: str, status: int) -> None:
    db.session.rollback()
    ctx = click.get_current_context(silent=True)
    saved = ctx.meta.get(_SAVED) if ctx is not None else None
    tail = f"{saved} was saved before this error" if saved else "nothing was written"
    message = "; ".join(line.strip() for line in message.splitlines() if line.strip())
    click.echo(f"error: {message}; {tail}", err=True)
    sys.exit(status)


def one_line(exc: BaseException) -> str:
    """The first line of an error (a database error's driver message), at most 300 characters."""
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.filename}: {exc.strerror}" if exc.filename else exc.strerror
    text = str(getattr(exc, "orig", None) or exc).strip()
    return (text.splitlines() or [""])[0][:300]


# Every command is one transaction: domain functions flush, the command commits once with its audit
# record (cli_atomic.finish); any error rolls it back and prints one line, never a traceback.
grid_cli = GridGroup("grid", help="grid_app commands: database, import, validation, demo.")
