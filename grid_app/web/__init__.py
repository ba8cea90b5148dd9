"""Blueprints: thin adapters from HTTP to the domain functions."""
from flask import Flask, request

# Endpoints that authenticate without a session cookie (or change nothing), so need no CSRF token.
CSRF_FREE = {"auth.token", "api_hierarchy.locate_batch",
             "open311.post_requests", "open311.unknown"}  # Open311 authenticates by api_key
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def register_blueprints(app: Flask) -> None:
    """Attach every blueprint, the error handlers and the CSRF rule."""
    from grid_app.extensions import csrf
    from grid_app.web import (
        api_cases,
        api_coverage,
        api_exports,
        api_hierarchy,
        api_indicators,
        api_moderation,
        api_people,
        api_people_figures,
        api_register,
        auth,
        case_pages,
        dashboard,
        errors,
        health,
        input_guard,
        maps,
        mobile,
        open311,
        openapi,
        pages,
        people_pages,
        replica,
        security,
    )

    errors.register(app)
    replica.register(app)
    security.register(app)
    input_guard.register(app)
    for module in (api_hierarchy, api_cases, api_moderation, api_people, api_register, api_indicators, api_coverage, api_exports, open311, pages, auth,
                   health, openapi, case_pages, maps, dashboard, mobile, api_people_figures, people_pages):
        app.register_blueprint(module.bp)
    from grid_app.web import api_party, party_pages  # the party side (双报到)
    for module in (api_party, party_pages):
        app.register_blueprint(module.bp)
    from grid_app.web import api_party_service, party_service_pages  # members' posts and activities
    for module in (api_party_service, party_service_pages):
        app.register_blueprint(module.bp)
    from grid_app.web import api_wishes, wish_pages  # 微心愿 and case helpers
    for module in (api_wishes, wish_pages):
        app.register_blueprint(module.bp)
    from grid_app.web import party_report_pages  # 双报告
    app.register_blueprint(party_report_pages.bp)
    from grid_app.web import api_measures  # planners' measures (issue 18)
    app.register_blueprint(api_measures.bp)
    from grid_app.web import api_scenarios  # coverage scenarios (方案模拟)
    app.register_blueprint(api_scenarios.bp)

    # CSRF guards cookie sessions; a bearer token cannot be sent by a forged cross-site form.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False

    @app.before_request
    def csrf_unless_bearer():
        if (app.config.get("WTF_CSRF_ENABLED", True) and request.method in UNSAFE and request.endpoint not in CSRF_FREE
                and not request.headers.get("Authorization", "").startswith("Bearer ")
                and not _anonymous_api_call()):
            csrf.protect()


def _anonymous_api_call() -> bool:
    # An API call that no session cookie authenticates carries no one's authority for a forged request
    # to borrow, so CSRF has nothing to guard: the view answers it (401 JSON where a login is needed).
    # A cookie-authenticated API call is still checked.
    from flask_login import current_user
    return request.path.startswith("/api/") and not current_user.is_authenticated
