"""grid_app: grid-based community governance (网格化管理) on Flask + PostGIS."""
from __future__ import annotations

import os

from flask import Flask


def create_app(config: dict | None = None) -> Flask:
    """The application factory: config layered defaults → environment → ``config``."""
    from grid_app.config import PROJECT_ROOT, build_config

    app = Flask(
        __name__,
        instance_path=os.environ.get("GRID_APP_INSTANCE", os.path.join(PROJECT_ROOT, "instance")),
        template_folder=os.path.join(PROJECT_ROOT, "templates"),
    )
    app.config.from_mapping(build_config(app.instance_path, config))
    os.makedirs(app.instance_path, exist_ok=True)

    from grid_app import models  # noqa: F401  (registers the tables before Alembic looks)
    from grid_app.extensions import babel, csrf, db, limiter, login_manager, migrate
    from grid_app.platform.i18n import select_locale, ui_language

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals.update(ui_language=ui_language)
    limiter.init_app(app)

    from grid_app.web import register_blueprints
    register_blueprints(app)

    from grid_app.cli import grid_cli
    app.cli.add_command(grid_cli)
    return app
