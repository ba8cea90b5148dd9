"""The prepared network's disk cache: a cold process reads what a fresh prepare gives; whole, current files only."""
from __future__ import annotations

import multiprocessing as mp
import os
import shutil

import numpy as np
import pytest
import shapely
from pyproj import Transformer
from scipy import sparse

from grid_app.coverage import disk_cache, prepared
from grid_app.coverage import service as coverage_service
from grid_app.coverage.faces import FaceIndex
from grid_app.network.model import LazyLines
from grid_app.network.osm import load_osm
from grid_app.network.store import read_network_file, replace_network

from .test_coverage_service import SPEED, covered_layers, street_network


@pytest.fixture()
def cache_dir(tmp_path, monkeypatch):
    """The disk cache in a folder of this test, and an empty in-process cache."""
    folder = tmp_path / "network-cache"
    monkeypatch.setattr(prepared, "disk_dir", str(folder))
    monkeypatch.setattr(prepared, "_cache", {})
    return folder


@pytest.fixture()
def district(session, tmp_path):
    """The test district's street grid and buildings with residents (the coverage tests' data)."""
    from grid_app.places.importer import import_files
    replace_network(session, read_network_file(street_network(tmp_path)), progress=False)
    import_files(session, covered_layers(tmp_path), progress=False)
    return session


@pytest.fixture()
def osm(session):
    """A real OSM extract's walking network (pyrosm's test.osm.pbf)."""
    pyrosm = pytest.importorskip("pyrosm")
    network, _ = load_osm(os.path.join(os.path.dirname(pyrosm.__file__), "data", "test.osm.pbf"),
                          frozenset(), frozenset())
    replace_network(session, network, progress=False)
    return session


def fresh(session, monkeypatch) -> prepared.PreparedNetwork:
    """A prepare from the database alone (disk cache off, nothing in the process)."""
    with monkeypatch.context() as m:
        m.setattr(prepared, "disk_dir", None)
        m.setattr(prepared, "_cache", {})
        return prepared.prepared_network(session)


def cold(session, monkeypatch) -> prepared.PreparedNetwork:
    """What a new process gets: nothing in the process; the database network must not be read."""
    with monkeypatch.context() as m:
        m.setattr(prepared, "_cache", {})
        m.setattr(prepared, "load_network", _refuse)
        return prepared.prepared_network(session)


def _refuse(*_args):
    raise AssertionError("the network was read from the database, not from the disk cache")


def assert_same(a, b, path="") -> None:
    """Deep equality of prepared objects: every attribute, arrays exactly (NaN equal to NaN), geometries exactly."""
    a, b = (np.asarray(x) if isinstance(x, LazyLines) else x for x in (a, b))  # lines made later: as made
    if isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.shape == b.shape and a.dtype == b.dtype, path
        if a.dtype == object and len(a) and isinstance(a.flat[0], shapely.Geometry):
            assert shapely.equals_exact(a, b, tolerance=0).all(), path
        else:
            np.testing.assert_array_equal(a, b, err_msg=path)
    elif sparse.issparse(a):
        assert a.shape == b.shape, path
        for part in ("data", "indices", "indptr"):
            assert_same(getattr(a, part), getattr(b, part), f"{path}.{part}")
    elif isinstance(a, Transformer):
        assert a.definition == b.definition, path
    elif isinstance(a, shapely.STRtree):
        assert_same(a.geometries, b.geometries, f"{path}.geometries")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{path}[{i}]")
    elif isinstance(a, dict):
        assert set(a) == set(b), path
        for key in a:
            assert_same(a[key], b[key], f"{path}[{key!r}]")
    elif hasattr(a, "__dict__"):
        assert type(a) is type(b), path
        assert_same(vars(a), vars(b), path)
    else:
        assert a == b, path


def comparable(net: prepared.PreparedNetwork) -> dict:
    """What must match between a fresh and a cached prepare (faces apart: see test_face_index_from_disk)."""
    graph = {k: v for k, v in vars(net.graph).items() if k != "_face_cache"}
    return {"stamp": net.stamp, "database": net.database, "graph": graph, "homes": net.homes,
            "prepared": net.prepared}


@pytest.mark.parametrize("data", ["district", "osm"])
def test_cache_gives_what_a_fresh_prepare_gives(request, session, cache_dir, monkeypatch, data):
    request.getfixturevalue(data)
    built = prepared.prepared_network(session)  # prepares and writes the file
    (name,) = [n for n in os.listdir(cache_dir) if n.startswith("network-")]
    assert name == os.path.basename(disk_cache.Slot(str(cache_dir), built.database, built.stamp).path("network"))
    again = cold(session, monkeypatch)
    assert again is not built
    assert_same(comparable(again), comparable(fresh(session, monkeypatch)))
    assert_same(comparable(again), comparable(built))
    assert built.graph.network.n_edges > 10 and again.homes.snaps.snapped.sum() == built.homes.snaps.snapped.sum()


def test_a_cold_network_makes_its_wgs84_lines_only_when_asked(district, cache_dir, monkeypatch):
    """Isochrones and coverage never need them; scenario suggestions do, and get the lines that were stored."""
    built = prepared.prepared_network(district)
    again = cold(district, monkeypatch)
    lazy = again.graph.network.geometry
    assert isinstance(lazy, LazyLines) and lazy._lines is None and len(lazy) == built.graph.network.n_edges
    assert again.graph.edges_xy is not None and lazy._lines is None
    assert shapely.equals_exact(np.asarray(lazy), built.graph.network.geometry, tolerance=0).all()
    assert lazy[3] is lazy.lines()[3]  # made once


def test_face_index_from_disk(session, cache_dir, monkeypatch, tmp_path):
    from grid_app.coverage.refresh import refresh
    from grid_app.places.importer import import_files
    replace_network(session, read_network_file(street_network(tmp_path)), progress=False)
    import_files(session, covered_layers(tmp_path), progress=False)
    refresh(session, SPEED)
    first = coverage_service.isochrones_geojson(session, "health_station", 5, SPEED)  # builds and stores the faces
    assert any(n.startswith("faces-") for n in os.listdir(cache_dir))
    built = prepared.prepared_network(session).graph._face_cache

    with monkeypatch.context() as m:
        m.setattr(prepared, "_cache", {})
        m.setattr(prepared, "load_network", _refuse)
        m.setattr(FaceIndex, "__init__", _refuse)  # the faces come from the file too
        second = coverage_service.isochrones_geojson(session, "health_station", 5, SPEED)
        restored = prepared.prepared_network(session).graph._face_cache
    assert second == first and first["features"]
    assert_same(restored, built)


def _damage(path: str, how: str) -> None:
    data = open(path, "rb").read()
    if how == "truncated":
        data = data[: len(data) // 2]
    elif how == "flipped":  # a byte in the middle of the arrays: the zip CRC no longer matches
        middle = len(data) // 2
        data = data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1:]
    elif how == "empty":
        data = b""
    elif how == "garbage":
        data = os.urandom(len(data))
    with open(path, "wb") as out:
        out.write(data)


@pytest.mark.parametrize("how", ["truncated", "flipped", "empty", "garbage", "other_version", "other_format",
                                 "other_code", "other_database"])
def test_stale_or_damaged_file_is_ignored_and_rewritten(district, cache_dir, monkeypatch, how):
    built = prepared.prepared_network(district)
    slot = disk_cache.Slot(str(cache_dir), built.database, built.stamp)
    path = slot.path("network")
    good = disk_cache.read(slot, "network", prepared._network_code())
    assert good is not None
    if how in ("truncated", "flipped", "empty", "garbage"):
        _damage(path, how)
    else:
        # A whole file, with the same arrays, but made for something else and put under this name.
        other = {"other_version": disk_cache.Slot(str(cache_dir), built.database, "network:0@0"),
                 "other_database": disk_cache.Slot(str(cache_dir), "postgresql://elsewhere/db#1", built.stamp)
                 }.get(how, slot)
        code = "another-code" if how == "other_code" else prepared._network_code()
        with monkeypatch.context() as m:
            if how == "other_format":
                m.setattr(disk_cache, "FORMAT", disk_cache.FORMAT + 1)
            assert disk_cache.write(other, "network", good, code)
        if other is not slot:
            shutil.move(other.path("network"), path)
    assert disk_cache.read(slot, "network", prepared._network_code()) is None

    loads = []
    original = prepared.load_network
    monkeypatch.setattr(prepared, "load_network", lambda s: loads.append(1) or original(s))
    monkeypatch.setattr(prepared, "_cache", {})
    rebuilt = prepared.prepared_network(district)
    assert loads == [1]  # ignored: prepared from the database again
    assert_same(comparable(rebuilt), comparable(built))
    rewritten = disk_cache.read(slot, "network", prepared._network_code())  # and the file is whole again
    assert rewritten is not None and set(rewritten) == set(good)
    assert_same(rewritten, good)


@pytest.mark.parametrize("spoil", ["fewer_points", "other_base", "short_piece", "no_split"])
def test_a_home_split_that_does_not_fit_is_ignored(district, cache_dir, monkeypatch, spoil):
    """A whole, current file whose stored split of the graph at the homes does not match them: prepared again."""
    built = prepared.prepared_network(district)
    slot = disk_cache.Slot(str(cache_dir), built.database, built.stamp)
    arrays = dict(disk_cache.read(slot, "network", prepared._network_code()))
    if spoil == "fewer_points":
        arrays["homes.split.point_node"] = arrays["homes.split.point_node"][:-1]
    elif spoil == "other_base":
        arrays["homes.split.n_base"] = arrays["homes.split.n_base"] + 1
    elif spoil == "short_piece":
        arrays["homes.split.piece_len"] = arrays["homes.split.piece_len"][:-1]
    else:
        del arrays["homes.split.piece_a"]
    assert disk_cache.write(slot, "network", arrays, prepared._network_code())
    loads = []
    original = prepared.load_network
    monkeypatch.setattr(prepared, "load_network", lambda s: loads.append(1) or original(s))
    monkeypatch.setattr(prepared, "_cache", {})
    assert_same(comparable(prepared.prepared_network(district)), comparable(built))
    assert loads == [1]


def test_other_versions_of_the_database_are_pruned(district, cache_dir, monkeypatch):
    built = prepared.prepared_network(district)
    old = disk_cache.Slot(str(cache_dir), built.database, "network:0@0")
    elsewhere = disk_cache.Slot(str(cache_dir), "postgresql://elsewhere/db#1", "network:0@0")
    for slot in (old, elsewhere):
        assert disk_cache.write(slot, "network", {"x": np.arange(3)})
    disk_cache.prune(disk_cache.Slot(str(cache_dir), built.database, built.stamp))
    names = set(os.listdir(cache_dir))
    assert os.path.basename(old.path("network")) not in names  # this database, another version: gone
    assert os.path.basename(elsewhere.path("network")) in names  # another database's: kept
    current = os.path.basename(disk_cache.Slot(str(cache_dir), built.database, built.stamp).path("network"))
    assert current in names


def test_no_cache_folder_or_an_unwritable_one_still_prepares(district, tmp_path, monkeypatch):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    monkeypatch.setattr(prepared, "disk_dir", str(blocked / "cache"))
    monkeypatch.setattr(prepared, "_cache", {})
    assert prepared.prepared_network(district).graph.network.n_edges > 0


def _writer(folder: str, who: int, rounds: int) -> None:
    slot = disk_cache.Slot(folder, "postgresql://race/db#1", "network:1@1")
    for _ in range(rounds):
        disk_cache.write(slot, "network", {"who": np.full(1_000_000, who, dtype=np.int64),
                                           "tail": np.full(10, who, dtype=np.int64)})


def test_two_processes_writing_at_once_leave_a_valid_file(tmp_path):
    folder = str(tmp_path)
    slot = disk_cache.Slot(folder, "postgresql://race/db#1", "network:1@1")
    ctx = mp.get_context("spawn")
    writers = [ctx.Process(target=_writer, args=(folder, who, 15)) for who in (1, 2)]
    for p in writers:
        p.start()
    seen = set()
    while any(p.is_alive() for p in writers):
        got = disk_cache.read(slot, "network")
        if got is not None:  # never a mixture of two writers, never a partial file
            (who,) = set(np.unique(got["who"])) | set(np.unique(got["tail"]))
            seen.add(int(who))
    for p in writers:
        p.join(120)
        assert p.exitcode == 0
    final = disk_cache.read(slot, "network")
    assert final is not None and len(final["who"]) == 1_000_000
    assert len(set(np.unique(final["who"])) | set(np.unique(final["tail"]))) == 1
    assert not [n for n in os.listdir(folder) if n.endswith(".tmp")]
