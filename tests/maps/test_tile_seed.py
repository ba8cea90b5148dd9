"""Low-zoom tiles rendered ahead: served as rendered, never of older data, never to a scoped reader."""
from __future__ import annotations

from sqlalchemy import func, select

from grid_app.coverage.refresh import describe, refresh
from grid_app.maps import tile_seed, vector_tiles
from grid_app.models import TileSeed
from grid_app.places.importer import import_files

from .. import district as d
from ..coverage.test_coverage_service import SPEED, covered, street_network  # noqa: F401  (fixtures)
from ..geo import box, feature, write_layer
from ..statements import statements_run
from .test_tile_overview import crowded, features  # noqa: F401  (fixture)
from .test_tile_zooms import _tile_of


def rendered():
    """The tile statements run meanwhile (ST_AsMVT: a tile rendered, not read)."""
    return statements_run(lambda statement: "ST_AsMVT" in statement)


def test_seeded_tiles_are_the_rendered_ones_and_only_unscoped_readers_get_them(session, crowded, monkeypatch):  # noqa: F811
    monkeypatch.setattr(tile_seed, "SEED_MIN_BUILDINGS", 100)
    tiles = tile_seed.crowded_tiles(session)
    assert (12, *_tile_of(250, 250, 12)[1:]) in tiles and all(z <= tile_seed.SEED_MAX_ZOOM for z, _, _ in tiles)
    stored = tile_seed.seed(session, SPEED)
    assert stored == len(tiles) * len(tile_seed.layers(session, SPEED)) > 0
    for z, x, y in tiles:
        fresh = vector_tiles.tile(session, "buildings", z, x, y, visible=None, seeded=False)
        with rendered() as statements:
            served = vector_tiles.tile(session, "buildings", z, x, y, visible=None)
        assert served == fresh and statements == []
    z, x, y = tiles[-1]
    for scope in ({"visible": [crowded["ids"][d.COMM_A]]}, {"visible": None, "community": d.COMM_B},
                  {"visible": None, "gcj02": True}):
        with rendered() as statements:
            vector_tiles.tile(session, "buildings", z, x, y, **scope)
        assert len(statements) == 1, scope  # a scoped or shifted tile is rendered for its reader


def test_a_building_change_is_seen_at_once(session, tmp_path, monkeypatch):
    monkeypatch.setattr(tile_seed, "SEED_MIN_BUILDINGS", 1)
    tile_seed.seed(session, SPEED)
    tile = _tile_of(300, 300, 12)
    with rendered() as statements:
        before = vector_tiles.tile(session, "buildings", *tile, visible=None)
    assert statements == []  # seeded
    import_files(session, [write_layer(tmp_path / "buildings.geojson", [
        feature(box(300, 300, 310, 310), code=d.AREA + "B990", name="新楼", community_code=d.COMM_A,
                residential_area_code=d.AREA, residents=900, households=300)])], progress=False)
    with rendered() as statements:
        after = vector_tiles.tile(session, "buildings", *tile, visible=None)
    assert len(statements) == 1  # the seeded tile is of older data: rendered again
    assert sum(dict(a)["buildings"] for _, a in features(after)) == \
        sum(dict(a)["buildings"] for _, a in features(before)) + 1


def test_the_coverage_job_renders_them_with_its_results(covered, monkeypatch):  # noqa: F811
    monkeypatch.setattr(tile_seed, "SEED_MIN_BUILDINGS", 1)
    report = refresh(covered, SPEED, force=True)
    assert report.tiles_seeded == covered.scalar(select(func.count()).select_from(TileSeed)) > 0
    assert any("rendered ahead" in line for line in describe(report))
    z, x, y = tile_seed.crowded_tiles(covered)[-1]
    for layer, params in tile_seed.layers(covered, SPEED):
        with rendered() as statements:
            served = vector_tiles.tile(covered, layer, z, x, y, visible=None, params=params)
        assert statements == [] and served == vector_tiles.tile(covered, layer, z, x, y, visible=None,
                                                                params=params, seeded=False)


def test_the_command_renders_them_unless_the_job_is_running(cli, session, monkeypatch):
    from grid_app.coverage.refresh import LOCK_KEY
    from grid_app.extensions import db
    monkeypatch.setattr(tile_seed, "SEED_MIN_BUILDINGS", 1)
    with db.engine.connect() as job:  # a coverage job elsewhere holds its lock: it replaces the same rows
        job.execute(select(func.pg_advisory_lock(LOCK_KEY)))
        try:
            busy = cli.invoke(args=["grid", "seed-tiles"])
        finally:
            job.execute(select(func.pg_advisory_unlock(LOCK_KEY)))
    assert busy.exit_code == 0 and "nothing done" in busy.output
    assert session.scalar(select(func.count()).select_from(TileSeed)) == 0
    done = cli.invoke(args=["grid", "seed-tiles"])
    assert done.exit_code == 0 and "rendered ahead" in done.output
    assert session.scalar(select(func.count()).select_from(TileSeed)) > 0
