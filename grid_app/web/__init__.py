"""Blueprints: thin adapters from HTTP to the domain functions."""
from flask import Flask


def register_blueprints(app: Flask) -> None:
    """Attach every blueprint and the error handlers."""
    from . import api_hierarchy, auth, errors, pages

    errors.register(app)
    app.register_blueprint(api_hierarchy.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(auth.bp)
