"""Loading the bundled demo district and its demo accounts."""
from __future__ import annotations

import json
import os

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from grid_app.access.accounts import create_user
from grid_app.cases import clock
from grid_app.demo_data import party_activity, party_members, party_wishes
from grid_app.demo_data.history_write import load_history
from grid_app.demo_data.register import load_demo_register
from grid_app.models import Community, Grid, NetworkEdge, Street, User
from grid_app.network.store import read_network_file, replace_network
from grid_app.people.crypto import app_keyring
from grid_app.places.importer import import_files
from grid_app.platform.i18n import display_zone
from grid_app.platform.reference import seed_reference_data

DEMO_LAYERS = ("streets", "communities", "grids", "residential_areas", "buildings", "facilities")
DEMO_ROLES = ("admin", "street", "secretary", "worker", "planner")


def load_demo_data(session: Session, folder: str, config) -> list[str]:
    """Seed reference data, import the demo layers, make the accounts and network, the register, 双报到 and a year of cases.

    One transaction, left open: the caller commits it (then runs the coverage job, as after any import)."""
    seed_reference_data(session)
    paths = [os.path.join(folder, f"{layer}.geojson") for layer in DEMO_LAYERS]
    report = import_files(session, paths, commit=False)
    lines = [f"{name}: {count}" for name, count in report.counts.items()]
    lines.append(f"{len(report.warnings)} warning(s) (e.g. street-side buildings in no residential area)")
    lines.extend(create_demo_users(session, config["GRID_APP_DEMO_PASSWORD"]))
    lines.append(load_demo_network(session, os.path.join(folder, "network.geojson")))
    codes = demo_building_codes(os.path.join(folder, "buildings.geojson"))
    lines.extend(load_demo_register(session, app_keyring(current_app), codes, clock.now(), display_zone(config),
                                    per_grid=config.get("GRID_APP_DEMO_REGISTER_PER_GRID")))
    lines.extend(load_demo_party(session, codes, config))
    lines.extend(load_history(session, codes, clock.now(), display_zone(config), config))  # after the visits
    return lines


def demo_building_codes(path: str) -> set[str]:
    """The codes of the demo's buildings: only they get the synthetic register."""
    with open(path, encoding="utf-8") as f:
        return {feature["properties"]["code"] for feature in json.load(f)["features"]}


def load_demo_network(session: Session, path: str) -> str:
    """Store the demo walking network unless a network is already stored (keeps re-runs fast)."""
    if session.scalar(select(func.count()).select_from(NetworkEdge)):
        return "walking network already stored (flask grid import-network replaces it)"
    report = replace_network(session, read_network_file(path), progress=False, commit=False)
    return f"walking network: {report.nodes} nodes, {report.edges} edges, {report.length_km:.0f} km"


def load_demo_party(session: Session, codes: set[str], config) -> list[str]:
    """双报到 in the demo's buildings: units, members, the demo-member login, service, wishes (after the register)."""
    now, zone = clock.now(), display_zone(config)
    per_grid = config.get("GRID_APP_DEMO_REGISTER_PER_GRID")
    homes = party_members.demo_homes(session, codes)
    communities = {cid: (code, street) for cid, code, street in session.execute(
        select(Community.id, Community.code, Community.street_code)
        .where(Community.id.in_({h.community_id for h in homes})))}
    secretaries = party_members.community_secretaries(session, sorted(communities))
    units = party_members.load_units(session, sorted(communities))
    planned = party_members.plan_members(homes, party_members.member_counts(session, homes, per_grid),
                                         {cid: code for cid, (code, _) in communities.items()})
    members = party_members.load_members(session, app_keyring(current_app), planned, units, secretaries,
                                         now.astimezone(zone).date(), zone)
    secretary = session.scalar(select(User.community_id).where(User.username == "demo-secretary"))
    line, featured = party_members.demo_member_account(session, members, secretary, config["GRID_APP_DEMO_PASSWORD"])
    lines = [f"party: {len(units)} registered units, {len(members)} members "
             f"({sum(m.status == 'pending' for m in members)} pending)", line]
    slice_ = per_grid is not None
    lines += party_activity.load_service(session, members, secretaries, featured, now, zone, slice_=slice_)
    lines += party_wishes.load_wishes(session, members, communities, codes, featured, now, slice_=slice_)
    return lines


def create_demo_users(session: Session, password: str) -> list[str]:
    """demo-admin, demo-street, demo-secretary, demo-worker, demo-planner on the first community."""
    street = session.scalar(select(Street).order_by(Street.code))
    community = session.scalar(select(Community).where(Community.street_id == street.id)
                               .order_by(Community.code))
    grids = session.scalars(select(Grid.code).where(Grid.community_id == community.id)
                            .order_by(Grid.code).limit(2)).all()
    scope = {"street": {"street": street.code}, "secretary": {"community": community.code},
             "worker": {"grids": list(grids)}}
    names = {"admin": "周管理", "street": "吴主任", "secretary": "王书记", "worker": "李网格",
             "planner": "陈规划"}
    for role in DEMO_ROLES:
        create_user(session, f"demo-{role}", password, role, display_name=names[role], **scope.get(role, {}))
    return [f"demo accounts: {', '.join('demo-' + r for r in DEMO_ROLES)} "
            f"(secretary of {community.name}, worker of grids {', '.join(grids)})"]
