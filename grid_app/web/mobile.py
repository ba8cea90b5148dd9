"""The grid worker's phone app under /m/: task list, case form, case detail, offline shell."""
from __future__ import annotations

import hashlib
import json
import os

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf

from grid_app.access.scope import MAY_LOG_CASES, REGISTER_ROLES, get_case
from grid_app.cases import usage, workflow
from grid_app.maps import labels
from grid_app.extensions import db
from grid_app.people.queries import get_resident
from grid_app.people.visits import FAR_FROM_HOME_M
from grid_app.platform import reference
from grid_app.platform.i18n import ui_language

bp = Blueprint("mobile", __name__, url_prefix="/m")

STATIC_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "static")
# The app shell the service worker keeps for offline use (paths under /static/).
SHELL_STATIC = (
    "app.css", "m/m.css", "m/outbox.js", "m/outbox_view.js", "m/common.js", "m/tasks.js", "m/new.js", "m/case.js",
    "m/visits.js", "m/visit.js",
    "m/icon-192.png", "m/icon-512.png", "icons/icon.svg",
    "vendor/leaflet/leaflet.js", "vendor/leaflet/leaflet.css",
    "vendor/leaflet/images/marker-icon.png", "vendor/leaflet/images/marker-icon-2x.png",
    "vendor/leaflet/images/marker-shadow.png",
)
SHELL_PAGES = ("mobile.tasks", "mobile.new_case", "mobile.case_shell", "mobile.visits", "mobile.visit_shell")

TILES = {
    "osm": ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "© OpenStreetMap", ""),
    "tianditu": ("https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
                 "&LAYER=vec&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}"
                 "&TILECOL={x}&tk={key}", "© 天地图", "01234567"),
}
GROUPS_EN = {"市容环境": "City appearance", "宣传广告": "Advertising", "施工管理": "Construction",
             "突发事件": "Emergencies", "街面秩序": "Street order", "矛盾纠纷": "Disputes",
             "安全隐患": "Safety hazards", "民生服务": "Social services", "治安防控": "Public security",
             "其他": "Other"}
ACTION_LABELS = {
    "register": _l("Register"), "reject": _l("Reject"), "dispatch": _l("Dispatch"),
    "start": _l("Start handling"), "report": _l("Report back"), "close": _l("Verify and close"),
    "reopen": _l("Send back"), "escalate": _l("Escalate"), "deescalate": _l("Hand down"),
    "evaluate": _l("Evaluate"), "merge": _l("Merge"), "place": _l("Place in a grid"), "collect": _l("Case logged"),
}


def tile_layer() -> dict:
    """The base map's tile URL template, attribution and subdomains from TILE_PROVIDER."""
    provider = current_app.config.get("TILE_PROVIDER") or "osm"
    if "{z}" in provider:  # a URL template given directly
        return {"url": provider, "attribution": "", "subdomains": ""}
    url, attribution, subdomains = TILES.get(provider, TILES["osm"])
    return {"url": url.replace("{key}", current_app.config.get("TIANDITU_KEY", "")),
            "attribution": attribution, "subdomains": subdomains}


def _zh() -> bool:
    return ui_language() == "zh"


def _names() -> dict:
    """State and action names in the page's language, for the scripts."""
    i = 0 if _zh() else 1
    return {"states": {k: v[i] for k, v in workflow.STATE_NAMES.items()},
            "levels": {k: v[i] for k, v in workflow.LEVEL_NAMES.items()},
            "actions": {k: str(v) for k, v in ACTION_LABELS.items()},
            "notes": {note: shown[0 if _zh() else 1] for note, shown in labels.SYSTEM_NOTES.items()}}


def _page(template: str, **context):
    """Render a page of the phone app with what every page's scripts need."""
    user = current_user
    boot = {
        "user": user.username, "displayName": user.display_name, "role": user.role,
        "community": user.community.code if user.community else None,
        "grids": [g.code for g in user.grids], "csrf": generate_csrf(),
        "urls": {"csrf": url_for("mobile.csrf_token"), "tasks": url_for("mobile.tasks"),
                 "newCase": url_for("mobile.new_case"), "case": url_for("mobile.case_shell"),
                 "visits": url_for("mobile.visits"), "visit": url_for("mobile.visit_shell"),
                 "sw": url_for("mobile.service_worker"), "login": url_for("auth.login", next=url_for("mobile.tasks")),
                 "api": "/api/v1"},
        "lang": "zh" if _zh() else "en", "mayVisit": user.role in REGISTER_ROLES,
        "farFromHomeM": FAR_FROM_HOME_M, **_names(),
    }
    return render_template(template, boot=boot, **context)


@bp.get("/")
@login_required
def tasks():
    """My tasks: open cases of my grids by deadline, with cases still waiting to be sent."""
    return _page("m/tasks.html")


@bp.get("/new")
@login_required
def new_case():
    """The case form: category, location on a map, photos, description."""
    if current_user.role not in MAY_LOG_CASES:
        abort(403)
    return _page("m/new.html", categories=_categories(), tiles=tile_layer(),
                 counts=usage.category_counts(db.session, current_user.id))


@bp.get("/cases/<int:case_id>")
@login_required
def case(case_id: int):
    """One case: its details, timeline and my actions (the data comes from the API)."""
    get_case(db.session, current_user, case_id)  # out of scope looks like absent: 404
    return _page("m/case.html", tiles=tile_layer())


@bp.get("/cases/shell")
@login_required
def case_shell():
    """The case page without a case, kept by the service worker for any case id offline."""
    return _page("m/case.html", tiles=tile_layer())


def _categories() -> list[dict]:
    """The active case categories in the page's language, with their group."""
    zh = _zh()
    return [{"code": c.code, "name": c.name if zh else c.name_en,
             "group": c.group_name if zh else GROUPS_EN.get(c.group_name, c.group_name)}
            for c in reference.active_categories(db.session)]


def _require_visits() -> None:
    """The 走访 pages are for the roles that keep the register (worker, secretary, admin)."""
    if current_user.role not in REGISTER_ROLES:
        abort(403)


@bp.get("/visits")
@login_required
def visits():
    """走访: key residents due and overdue in my grids, and the visits and cases still on the phone."""
    _require_visits()
    return _page("m/visits.html", categories=_categories())


@bp.get("/visits/<int:resident_id>")
@login_required
def visit(resident_id: int):
    """The visit form for one resident (the resident's details come from the due list)."""
    _require_visits()
    get_resident(db.session, current_user, resident_id)  # out of scope looks like absent: 404
    return _page("m/visit.html", categories=_categories())


@bp.get("/visits/shell")
@login_required
def visit_shell():
    """The visit form without a resident, kept by the service worker for any resident offline."""
    _require_visits()
    return _page("m/visit.html", categories=_categories())


@bp.get("/csrf")
@login_required
def csrf_token():
    """A fresh CSRF token: pages opened from the offline cache may hold an expired one."""
    response = jsonify({"csrf": generate_csrf()})
    response.headers["Cache-Control"] = "no-store"
    return response


def _shell_version() -> str:
    """A hash of the shell's files, so a changed file installs a new service worker."""
    digest = hashlib.sha256()
    for name in SHELL_STATIC:
        with open(os.path.join(STATIC_DIR, name), "rb") as fh:
            digest.update(fh.read())
    for name in os.listdir(os.path.join(current_app.template_folder, "m")):
        with open(os.path.join(current_app.template_folder, "m", name), "rb") as fh:
            digest.update(fh.read())
    return digest.hexdigest()[:12]


@bp.get("/sw.js")
def service_worker():
    """The service worker, with this deployment's shell list and tile host filled in."""
    config = {
        "version": _shell_version(),
        "static": [url_for("static", filename=name) for name in SHELL_STATIC] + [url_for("mobile.manifest")],
        "pages": [url_for(endpoint) for endpoint in SHELL_PAGES],
        "caseShell": url_for("mobile.case_shell"),
        "visitShell": url_for("mobile.visit_shell"),
        "tileUrl": tile_layer()["url"],
    }
    with open(os.path.join(STATIC_DIR, "m", "sw.js"), encoding="utf-8") as fh:
        body = "const CONFIG = " + json.dumps(config) + ";\n" + fh.read()
    response = Response(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = url_for("mobile.tasks")
    # The worker fetches map tiles itself (to keep them for offline use), so it may connect to their host.
    response.headers["Content-Security-Policy"] = f"default-src 'self'; connect-src 'self' {_tile_origin()}"
    return response


def _tile_origin() -> str:
    """The tile server's origin for a CSP source list ({s} subdomains become a wildcard)."""
    url = tile_layer()["url"]
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0].split("?", 1)[0]
    if "{" in host:
        host = "*." + host.split(".", 1)[1] if "." in host else host
    return f"{scheme}://{host}"


@bp.get("/manifest.webmanifest")
def manifest():
    """The web app manifest, so the phone can install the app on its home screen."""
    body = {
        "name": _("Grid governance · grid worker"), "short_name": _("Grid worker"),
        "lang": "zh-CN" if _zh() else "en",
        "start_url": url_for("mobile.tasks"), "scope": url_for("mobile.tasks"), "display": "standalone",
        "background_color": "#f6f7f9", "theme_color": "#c8102e",
        "icons": [{"src": url_for("static", filename=f"m/icon-{s}.png"), "sizes": f"{s}x{s}",
                   "type": "image/png", "purpose": "any maskable"} for s in (192, 512)],
    }
    return Response(json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json")

