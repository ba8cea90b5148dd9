"""A community map as one HTML file for scripts (e.g. a planner's report), JS and CSS inlined."""
from __future__ import annotations

from sqlalchemy.orm import Session

from grid_app.access.scope import community_in_scope
from grid_app.maps import data
from grid_app.maps.builder import standalone_html
from grid_app.maps.community import community_map
from grid_app.maps.providers import provider_from_config


def community_map_file(session: Session, user, code: str, config, *, inline: bool = True, lang: str = "zh") -> str:
    """The community map as a standalone HTML document (run inside an app context for translations).

    Cases are those the user may see; their popups carry no link, as a file has no case pages."""
    community = community_in_scope(session, user, code)
    layers = data.hierarchy_layers(session, community, cases_of=user)
    m = community_map(layers, data.case_features(session, user, community), data.facility_features(session, community),
                      provider_from_config(config), lang=lang, zone=config.get("DISPLAY_TIMEZONE", "Asia/Shanghai"))
    return standalone_html(m, inline=inline)


def coverage_map_file(session: Session, code: str, type_code: str, minutes, config, *, inline: bool = True,
                      lang: str = "zh") -> str:
    """The coverage map of a community for one facility type as a standalone HTML document."""
    from grid_app.maps.coverage_view import build
    from grid_app.places.hierarchy import community_by_code
    built = build(session, community_by_code(session, code), type_code, minutes, config["WALK_SPEED_M_S"],
                  provider_from_config(config), lang=lang, embed_limit=10**9)
    return standalone_html(built["map"], inline=inline)
