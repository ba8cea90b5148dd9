"""Step 8: the GeoJSON layers in lon/lat (7 decimals, one feature per line) and writing them to files."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import shapely

from grid_app.demo_data.constants import FACILITY_TYPES, TO_WGS
from grid_app.demo_data.geometry import polys


def write(out_dir, layers: dict[str, dict]) -> dict[str, int]:
    """Write each layer as <out_dir>/<layer>.geojson (one feature per line); returns the sizes in bytes."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sizes = {}
    for name, fc_ in layers.items():
        parts = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in fc_["features"]]
        text = '{"type":"FeatureCollection","features":[\n' + ",\n".join(parts) + "\n]}\n"
        p = out / f"{name}.geojson"
        p.write_text(text, encoding="utf-8")
        sizes[name] = p.stat().st_size
    return sizes


def assemble(h, res_areas, buildings, fac, out_edges) -> dict[str, dict]:
    """{layer name: FeatureCollection} of everything generated, each layer in code order."""
    comms = h.comms
    layers: dict[str, dict] = {}
    layers["streets"] = _fc([_feature({"code": s["code"], "name": s["name"]}, _mpoly(s["geom"]))
                             for s in h.streets])
    layers["communities"] = _fc([_feature({
        "code": c["code"], "name": c["name"], "street_code": c["street_code"],
        "party_org_kind": c["kind"], "party_org_name": f"中共{c['name']}{'委员会' if c['kind'] == '党委' else '总支部委员会'}",
        "party_secretary": c["secretary"], "party_members": int(c["members"])}, _mpoly(c["geom"]))
        for c in comms])
    layers["grids"] = _fc([_feature({"code": g_["code"], "name": g_["name"],
                                     "community_code": g_["community_code"], "workers": g_["workers"]},
                                    _mpoly(g_["geom"])) for g_ in h.grids])
    res_areas.sort(key=lambda r: r["code"])
    buildings.sort(key=lambda b: b["code"])
    layers["residential_areas"] = _fc([_feature({
        "code": ra["code"], "name": ra["name"], "community_code": comms[ra["community"]]["code"],
        "party_org_kind": ra["party"]["kind"], "party_org_name": ra["party"]["name"],
        "party_secretary": ra["party"]["secretary"], "party_members": int(ra["party"]["members"])},
        _mpoly(ra["geom"])) for ra in res_areas])
    layers["buildings"] = _fc([_building(bd, comms) for bd in buildings])
    layers["facilities"] = _facilities(fac, comms)
    layers["network"] = _network(out_edges)
    return layers


def _building(bd, comms):
    """A building's feature; the party fields are null where the building has no 党小组."""
    pa = bd.get("party")
    return _feature({
        "code": bd["code"], "name": bd["name"], "community_code": comms[bd["community"]]["code"],
        "residential_area_code": bd["area"]["code"] if bd["area"] is not None else None,
        "floors": int(bd["floors"]), "households": int(bd["households"]),
        "residents": int(bd["residents"]),
        "party_org_kind": pa["kind"] if pa else None, "party_org_name": pa["name"] if pa else None,
        "party_secretary": pa["secretary"] if pa else None,
        "party_members": int(pa["members"]) if pa else None}, _mpoly(bd["geom"]))


DEMO_CAPACITY = {"kindergarten": (90, 30), "elderly_care": (20, 10)}  # 3-6 classes of 30; 20-50 beds


def _facilities(fac, comms):
    """The facilities layer, by type in FACILITY_TYPES order, coded F-<type>-NNN."""
    fcount: dict[str, int] = {}
    feats = []
    fac.sort(key=lambda f: (list(FACILITY_TYPES).index(f["type"]),))
    for f in fac:
        fcount[f["type"]] = fcount.get(f["type"], 0) + 1
        lon, lat = TO_WGS.transform(f["pt"][0], f["pt"][1])
        props = {"code": f"F-{f['type']}-{fcount[f['type']]:03d}", "name": f["name"],
                 "type_code": f["type"], "community_code": comms[f["community"]]["code"]}
        if f["type"] in DEMO_CAPACITY:  # places or beds for the 2SFCA measure, sized without a draw (no rng)
            base, step = DEMO_CAPACITY[f["type"]]
            props["capacity"] = base + step * (fcount[f["type"]] % 4)
        feats.append(_feature(props, {"type": "Point", "coordinates": [_r7(lon), _r7(lat)]}))
    return _fc(feats)


def _network(out_edges):
    """The network layer; edges that shrink to a point once rounded are left out."""
    feats = []
    allc = np.vstack([cs for cs, _, _ in out_edges])
    lon, lat = TO_WGS.transform(allc[:, 0], allc[:, 1])
    off = 0
    for cs, h, n in out_edges:
        pts = _ring_ll(zip(lon[off:off + len(cs)], lat[off:off + len(cs)]))
        off += len(cs)
        if len(pts) < 2:
            continue
        feats.append(_feature({"highway": h, "name": n}, {"type": "LineString", "coordinates": pts}))
    return _fc(feats)


def _r7(v):
    """A coordinate rounded to 7 decimals (about 1 cm)."""
    return round(float(v), 7)


def _ring_ll(coords):
    """Rounded [lon, lat] pairs without consecutive repeats."""
    out = []
    for x, y in coords:
        p = [_r7(x), _r7(y)]
        if not out or out[-1] != p:
            out.append(p)
    return out


def _to_ll(geom):
    """The geometry from UTM to lon/lat."""
    return shapely.transform(geom, lambda c: np.column_stack(TO_WGS.transform(c[:, 0], c[:, 1])))


def _mpoly(geom):
    """A GeoJSON MultiPolygon in lon/lat, exteriors counter-clockwise."""
    geom = shapely.orient_polygons(geom, exterior_cw=False)
    g = _to_ll(geom)
    return {"type": "MultiPolygon",
            "coordinates": [[_ring_ll(p.exterior.coords)] + [_ring_ll(i.coords) for i in p.interiors]
                            for p in polys(g)]}


def _feature(props, geom):
    """A GeoJSON Feature."""
    return {"type": "Feature", "properties": props, "geometry": geom}


def _fc(features):
    """A GeoJSON FeatureCollection."""
    return {"type": "FeatureCollection", "features": features}
