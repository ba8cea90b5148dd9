"""Deterministic generator of the demo district (网格化管理演示数据) shipped in geodata/demo/.

It lives inside the installed package, not under scripts/, so that the scripts that build
synthetic cities (scripts/bench_*.py), the tests and `flask grid` commands can import it without
editing sys.path; `python scripts/gen_demo.py` and `python -m grid_app.demo_data` both run it.

    from grid_app.demo_data import generate, write
    layers = generate(seed=7, scale=1.0)   # layer name -> GeoJSON dict
    write("geodata/demo", layers)

Pipeline, one module per step, all in the metric CRS EPSG:32650 (UTM 50N) until the writer:
streets (roads and blocks) → hierarchy (streets, communities, grids) → areas and layout
(residential areas, buildings) → party (organisations) → network (walking edges) →
facilities → writer (GeoJSON in lon/lat). Only numpy's default_rng(seed) draws random numbers,
always in the same order: the same seed gives byte-identical files.
"""
from grid_app.demo_data.check import check
from grid_app.demo_data.constants import LAYERS
from grid_app.demo_data.generate import generate
from grid_app.demo_data.writer import write

__all__ = ["LAYERS", "check", "generate", "write"]
