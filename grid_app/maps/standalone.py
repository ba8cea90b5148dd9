"""A community map as one HTML file for scripts (e.g. a planner's report), JS and CSS inlined."""
from __future__ import annotations

from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from grid_app.access.scope import community_in_scope
from grid_app.maps import coverage_view, data
from grid_app.maps.builder import standalone_html
from grid_app.maps.community import community_map
from grid_app.maps.labels import Translate
from grid_app.maps.providers import provider_from_config
from grid_app.places.hierarchy import community_by_code

if TYPE_CHECKING:
    from grid_app.coverage.service import CoverageView


def community_map_file(session: Session, user, code: str, config, *, gettext: Translate, lang: str,
                       zone: ZoneInfo, inline: bool = True) -> str:
    """The community map as a standalone HTML document, labelled by `gettext`, times in `zone`.

    Cases are those the user may see; their popups carry no link, as a file has no case pages."""
    community = community_in_scope(session, user, code)
    layers = data.hierarchy_layers(session, community, cases_of=user)
    m = community_map(layers, data.case_features(session, user, community), data.facility_features(session, community),
                      provider_from_config(config), gettext=gettext, lang=lang, zone=zone)
    return standalone_html(m, inline=inline)


def coverage_map_file(session: Session, view: CoverageView, config, *, gettext: Translate, lang: str,
                      inline: bool = True, scenario: dict | None = None) -> str:
    """The coverage map of a view (with distances and isochrones) as a standalone HTML document;
    with a saved scenario's figures (of the view's type and minutes) drawn over it."""
    community = community_by_code(session, view.summary["community"]["code"])
    built = coverage_view.build(session, community, view, provider_from_config(config), gettext=gettext, lang=lang,
                                embed_limit=10**9, scenario=scenario)
    return standalone_html(built.map, inline=inline)
