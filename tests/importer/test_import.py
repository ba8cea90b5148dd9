"""Importing layers: all or nothing, one clear line per bad feature."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from grid_app.places.importer import ImportFailed, import_files
from grid_app.models import Building, Community, Grid, PartyOrganisation, ResidentialArea

from .. import district as d
from ..geo import box, feature, multi, ring_polygon, write_layer

NEW = "341702900003"  # a third community east of the test district, x 1000..1400


def community_file(tmp_path, geom=None):
    geom = geom or multi(box(1000, 0, 1400, 400))
    return write_layer(tmp_path / "communities.geojson", [
        feature(geom, code=NEW, name="丙社区", street_code=d.STREET)])


def grids_file(tmp_path, *grids):
    return write_layer(tmp_path / "grids.geojson", [
        feature(g, code=f"{NEW}{i + 1:03d}", name=f"丙社区第{i + 1}网格", community_code=NEW)
        for i, g in enumerate(grids)])


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def refused(session, paths, **kw) -> list[str]:
    before = {m: count(session, m) for m in (Community, Grid, ResidentialArea, Building)}
    with pytest.raises(ImportFailed) as info:
        import_files(session, paths, progress=False, **kw)
    after = {m: count(session, m) for m in before}
    assert after == before, "a refused import must write nothing"
    return [str(p) for p in info.value.problems]


def test_clean_import_writes_and_assigns_grids(session, tmp_path):
    paths = [community_file(tmp_path),
             grids_file(tmp_path, box(1000, 0, 1200, 400), box(1200, 0, 1400, 400))]
    area = write_layer(tmp_path / "residential_areas.geojson", [
        # 3/4 of this area lies in the second grid: it belongs there
        feature(box(1150, 100, 1350, 300), code=NEW + "R001", name="丙苑", community_code=NEW)])
    report = import_files(session, [*paths, area], progress=False)
    assert report.counts == {"communities.geojson": 1, "grids.geojson": 2, "residential_areas.geojson": 1}
    ra = session.scalar(select(ResidentialArea).where(ResidentialArea.code == NEW + "R001"))
    assert ra.grid.code == NEW + "002"


def test_reimport_is_idempotent_and_updates(session, tmp_path):
    paths = [community_file(tmp_path), grids_file(tmp_path, box(1000, 0, 1400, 400))]
    import_files(session, paths, progress=False)
    n = count(session, Grid)
    import_files(session, paths, progress=False)
    assert count(session, Grid) == n


def test_self_intersecting_ring_refused_then_repaired(session, tmp_path):
    bowtie = ring_polygon([(1000, 0), (1400, 400), (1400, 0), (1000, 400), (1000, 0)])
    path = community_file(tmp_path, bowtie)
    lines = refused(session, [path])
    assert len(lines) == 1
    assert "communities.geojson feature 0" in lines[0] and "Self-intersection" in lines[0]
    assert "--repair" in lines[0]
    import_files(session, [path], repair=True, progress=False)
    geom_ok = session.scalar(select(func.ST_IsValid(Community.geom)).where(Community.code == NEW))
    assert geom_ok is True


def test_overlapping_grids_refused_with_area(session, tmp_path):
    lines = refused(session, [community_file(tmp_path),
                              grids_file(tmp_path, box(1000, 0, 1220, 400), box(1180, 0, 1400, 400))])
    overlap = [line for line in lines if "overlap" in line]
    assert len(overlap) == 1
    # 40 m × 400 m = 16,000 m², within a percent on the spheroid
    area = float(overlap[0].split("(")[-1].split(" m²")[0])
    assert area == pytest.approx(16_000, rel=0.01)


def test_gapped_grids_refused_with_area_and_place(session, tmp_path):
    lines = refused(session, [community_file(tmp_path),
                              grids_file(tmp_path, box(1000, 0, 1190, 400), box(1210, 0, 1400, 400))])
    gap = [line for line in lines if "gap" in line]
    assert len(gap) == 1
    assert float(gap[0].split("(")[-1].split(" m²")[0]) == pytest.approx(8_000, rel=0.01)
    assert "near 117.4" in gap[0]


def test_sliver_gap_is_named_a_sliver(session, tmp_path):
    lines = refused(session, [community_file(tmp_path),
                              grids_file(tmp_path, box(1000, 0, 1199.9, 400), box(1200, 0, 1400, 400))])
    assert any("sliver" in line for line in lines)


def test_building_outside_its_residential_area_refused(session, tmp_path):
    path = write_layer(tmp_path / "buildings.geojson", [
        feature(box(700, 700, 720, 720), code=d.AREA + "B099", name="9栋", community_code=d.COMM_A,
                residential_area_code=d.AREA, residents=10, households=4)])
    lines = refused(session, [path])
    assert any("buildings.geojson feature 0" in line and "outside" in line for line in lines)


def test_building_in_no_residential_area_is_a_warning(session, tmp_path):
    path = write_layer(tmp_path / "buildings.geojson", [
        feature(box(460, 900, 480, 920), code=d.COMM_A + "B099", name="门面房", community_code=d.COMM_A,
                residents=3, households=1)])
    report = import_files(session, [path], progress=False)
    assert any(w.code == d.COMM_A + "B099" and w.kind == "no_residential_area" for w in report.warnings)


@pytest.mark.parametrize("props, geom, reason", [
    ({"name": "x", "street_code": d.STREET}, box(1000, 0, 1400, 400), "missing field 'code'"),
    ({"code": NEW, "name": "x", "street_code": "999999999"}, box(1000, 0, 1400, 400), "does not exist"),
    ({"code": NEW, "name": "x", "street_code": d.STREET}, None, "no geometry"),
    ({"code": NEW, "name": "x", "street_code": d.STREET, "party_org_kind": "委员会"},
     box(1000, 0, 1400, 400), "party_org_kind"),
    ({"code": NEW, "name": "x", "street_code": d.STREET, "party_members": -3},
     box(1000, 0, 1400, 400), "whole number"),
])
def test_bad_features_named(session, tmp_path, props, geom, reason):
    path = write_layer(tmp_path / "communities.geojson", [feature(geom, **props)])
    lines = refused(session, [path])
    assert any(reason in line and "communities.geojson feature 0" in line for line in lines), lines


def test_point_where_polygon_expected(session, tmp_path):
    path = tmp_path / "grids.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": NEW + "001", "name": "x", "community_code": d.COMM_A},
         "geometry": {"type": "Point", "coordinates": [117.48, 30.66]}}]}), encoding="utf-8")
    assert "must be a Polygon or MultiPolygon, got Point" in refused(session, [str(path)])[0]


def test_projected_coordinates_without_crs(session, tmp_path):
    path = tmp_path / "communities.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": NEW, "name": "x", "street_code": d.STREET},
         "geometry": {"type": "Polygon", "coordinates": [[[500000, 3390000], [501000, 3390000],
                                                          [501000, 3391000], [500000, 3390000]]]}}]}))
    assert "not longitude/latitude" in refused(session, [str(path)])[0]


def test_duplicate_codes_in_one_file(session, tmp_path):
    f = feature(multi(box(1000, 0, 1400, 400)), code=NEW, name="丙社区", street_code=d.STREET)
    path = write_layer(tmp_path / "communities.geojson", [f, f])
    lines = refused(session, [path])
    assert any("feature 1" in line and "duplicate code" in line for line in lines)


def test_bad_encoding_is_named(session, tmp_path):
    path = tmp_path / "communities.geojson"
    fc = {"type": "FeatureCollection", "features": [
        feature(box(1000, 0, 1400, 400), code=NEW, name="丙社区", street_code=d.STREET)]}
    path.write_bytes(json.dumps(fc, ensure_ascii=False).encode("gbk"))
    lines = refused(session, [str(path)])
    assert "communities.geojson" in lines[0] and "UTF-8" in lines[0]


@pytest.mark.parametrize("name, content, reason", [
    ("grids.geojson", "{broken", "cannot read file"),
    ("grids.csv", "code,name\n1,x\n", "unsupported file type"),
    ("mystery.geojson", '{"type": "FeatureCollection", "features": []}', "pass --level"),
    ("grids.geojson", '{"type": "FeatureCollection", "features": []}', "no features"),
])
def test_unreadable_files(session, tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    assert reason in refused(session, [str(path)])[0]


def test_missing_file(session, tmp_path):
    assert "file not found" in refused(session, [str(tmp_path / "grids.geojson")])[0]


def test_party_organisations_replaced_on_reimport(session, tmp_path):
    area = lambda secretary: write_layer(tmp_path / "residential_areas.geojson", [  # noqa: E731
        feature(box(50, 50, 450, 450), code=d.AREA, name="翠微苑", community_code=d.COMM_A,
                party_org_kind="党支部", party_org_name="翠微苑党支部", party_secretary=secretary)])
    import_files(session, [area("新书记")], progress=False)
    orgs = session.scalars(select(PartyOrganisation).join(ResidentialArea).where(
        ResidentialArea.code == d.AREA)).all()
    assert [o.secretary for o in orgs] == ["新书记"]


def test_geopackage_in_projected_crs(session, tmp_path):
    import pyogrio
    import numpy as np
    import shapely
    from pyproj import Transformer
    geom = multi(box(1000, 0, 1400, 400))
    to_utm = Transformer.from_crs(4326, 32650, always_xy=True)
    utm = shapely.transform(geom, lambda xy: np.column_stack(to_utm.transform(xy[:, 0], xy[:, 1])))
    path = str(tmp_path / "c.gpkg")
    pyogrio.write_dataframe if False else None
    from pyogrio.raw import write
    write(path, np.array([shapely.to_wkb(utm)], dtype=object), [
        np.array([NEW], dtype=object), np.array(["丙社区"], dtype=object),
        np.array([d.STREET], dtype=object)], fields=["code", "name", "street_code"],
        geometry_type="MultiPolygon", crs="EPSG:32650", driver="GPKG")
    import_files(session, [path], level="communities", progress=False)
    area = session.scalar(select(func.ST_Area(func.Geography(Community.geom))).where(Community.code == NEW))
    assert area == pytest.approx(160_000, rel=0.01)
