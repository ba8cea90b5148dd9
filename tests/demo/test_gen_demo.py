"""The demo generator reproduces the shipped geodata/demo/ byte for byte and its checks can fail."""
from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from grid_app.demo_data import LAYERS, check, generate, write
from grid_app.demo_data.check import CheckFailed

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "geodata" / "demo"


def _digests(folder: Path) -> dict[str, str]:
    """{file name: sha256} of the GeoJSON files in folder."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.geojson"))}


@pytest.fixture(scope="module")
def layers():
    """The demo district as generated with the shipped seed and scale (about 2 s)."""
    return generate(seed=7, scale=1.0)


def test_generate_reproduces_the_shipped_files(layers, tmp_path):
    write(tmp_path, layers)
    assert _digests(tmp_path) == _digests(SHIPPED)
    assert sorted(_digests(SHIPPED)) == sorted(f"{name}.geojson" for name in LAYERS)


def test_the_script_entry_point_writes_the_same_files(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_demo.py"), "--out", str(tmp_path),
                           "--no-check"], capture_output=True, text=True, timeout=240, check=False)
    assert done.returncode == 0, done.stderr
    assert _digests(tmp_path) == _digests(SHIPPED)


def test_the_shipped_district_passes_its_checks(layers):
    report = check(layers)
    assert report["counts"] == {"streets": 1, "communities": 6, "grids": 29, "residential_areas": 77,
                                "buildings": 1825, "facilities": 77, "network": 6902}


def test_a_grid_counted_twice_fails_the_checks(layers):
    grids = layers["grids"]["features"]
    broken = {**layers, "grids": {"type": "FeatureCollection", "features": [*grids, grids[0]]}}
    with pytest.raises(CheckFailed, match="overlap|duplicate"):
        check(broken)
