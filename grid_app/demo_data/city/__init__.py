"""A synthetic city for scale tests: the demo district tiled side by side, with years of cases.

Not a new geometry generator: the demo district (geodata/demo) is imported once through the app's
importer (tile 0), then copied in SQL to N translated tiles with new street codes (district 341702 +
street NNN, so every lower code changes with its street); the walking network is copied with offset
ids. Cases are synthesised in numpy in chunks, each a valid path of grid_app/cases/workflow.py, and
written with COPY. Build it into a scratch database only (see scripts/gen_city.py).

    from grid_app.demo_data.city import build_city
    figures = build_city(url, scale=0.05)
"""
from grid_app.demo_data.city.build import FULL, build_city, plan

__all__ = ["FULL", "build_city", "plan"]
