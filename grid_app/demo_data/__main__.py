"""Command line of the demo generator: `python -m grid_app.demo_data` (or `python scripts/gen_demo.py`)."""
from __future__ import annotations

import argparse
from pathlib import Path

from grid_app.demo_data.check import check
from grid_app.demo_data.constants import LAYERS
from grid_app.demo_data.generate import generate
from grid_app.demo_data.writer import write

# the checkout's geodata/demo (the package is installed in place with pip install -e)
DEFAULT_OUT = Path(__file__).resolve().parents[2] / "geodata" / "demo"


def main(argv=None) -> None:
    """Generate the layers, write them, print their sizes and, unless --no-check, the check report."""
    ap = argparse.ArgumentParser(description="Deterministic generator for the grid_app demo data set (网格化管理演示数据).")
    ap.add_argument("--out", default=str(DEFAULT_OUT))
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--no-check", action="store_true", help="skip the (slow at large scale) checks")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args(argv)
    layers = generate(seed=a.seed, scale=a.scale, verbose=a.verbose)
    sizes = write(a.out, layers)
    print(f"wrote {a.out}:")
    for k in LAYERS:
        print(f"  {k + '.geojson':26s} {len(layers[k]['features']):7d} features {sizes[k] / 1e6:8.2f} MB")
    print(f"  total {sum(sizes.values()) / 1e6:.2f} MB")
    if not a.no_check:
        rep = check(layers, a.scale)
        print("checks passed:")
        for k, v in rep.items():
            print(f"  {k}: {v}")


if __name__ == "__main__":
    main()
