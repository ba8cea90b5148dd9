#!/usr/bin/env python3
"""Regenerate the demo district in geodata/demo/ (网格化管理演示数据).

Usage:
    .venv/bin/python scripts/gen_demo.py [--out geodata/demo] [--seed 7] [--scale 1.0] [--no-check] [-v]

The generator is the package grid_app.demo_data (also `python -m grid_app.demo_data`); import
`generate` and `write` from there. The same seed gives byte-identical files.
"""
from grid_app.demo_data.__main__ import main

if __name__ == "__main__":
    main()
