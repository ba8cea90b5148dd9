"""Open311 discovery, the service list (one service per case category) and service definitions."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from grid_app.cases import workflow
from grid_app.models import Category
from grid_app.open311 import attributes
from grid_app.platform.errors import NotFound
from grid_app.platform.reference import CATEGORIES_CHANGED

SPEC = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = CATEGORIES_CHANGED  # the services are the categories, so they change together


def discovery(base_url: str, contact: str, key_service: str) -> dict:
    """The discovery document pointing at this endpoint."""
    return {
        "changeset": CHANGESET, "contact": contact, "key_service": key_service,
        "endpoints": [{"specification": SPEC, "url": base_url, "changeset": CHANGESET,
                       "type": "production", "formats": ["text/xml", "application/json"]}],
    }


def active_category(session: Session, code: str) -> Category:
    """The active category behind a service_code, or NotFound."""
    category = session.scalar(select(Category).where(Category.code == code, Category.active))
    if category is None:
        raise NotFound(f"no service with service_code {code!r}", code="service_not_found")
    return category


def service_name(category: Category, lang: str) -> str:
    """The category's name in the asked language."""
    return category.name if lang == "zh" else category.name_en


def notice(category: Category, level: str, lang: str, *, located: bool = True) -> str:
    """What a reporter can expect: who handles it and within how many hours (once placed, if unlocated)."""
    hours = category.deadline_hours
    review, total = hours["register"], sum(hours[s] for s in workflow.STEPS)
    if not located:  # held for the street, which places it in a grid (cases/placing.py); the times start then
        if lang == "zh":
            return (f"所报位置不在任何网格内：由街道确定受理网格，"
                    f"之后{review}小时内立案，{total}小时内办结。")
        return (f"The place lies in no grid: the street assigns it to a grid, then it is reviewed within {review} h "
                f"and resolved within {total} h.")
    if lang == "zh":
        return f"由{workflow.LEVEL_NAMES[level][0]}级受理：{review}小时内立案，{total}小时内办结。"
    return (f"Handled at {workflow.LEVEL_NAMES[level][1].lower()} level: reviewed within {review} h, "
            f"resolved within {total} h.")


def service_list(session: Session, lang: str) -> list[dict]:
    """Every active category as an Open311 service."""
    rows = session.scalars(select(Category).where(Category.active).order_by(Category.sort, Category.code))
    return [_service(c, lang) for c in rows]


def _service(c: Category, lang: str) -> dict:
    other = c.name_en if lang == "zh" else c.name
    return {
        "service_code": c.code, "service_name": service_name(c, lang),
        "description": f"{service_name(c, lang)} ({other}). {notice(c, c.default_level, lang)}",
        "metadata": bool(attributes.for_category(c.code)), "type": "realtime",
        "keywords": ", ".join(k for k in (c.keywords or "").split(",") if k), "group": c.group_name,
    }


def definition(session: Session, code: str, lang: str) -> dict:
    """The service definition: its attributes (an empty list when it asks nothing extra)."""
    category = active_category(session, code)
    return {"service_code": category.code,
            "attributes": [a.as_dict(i, lang) for i, a in enumerate(attributes.for_category(code), start=1)]}
