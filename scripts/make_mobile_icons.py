"""Draw the app icons (maskable: full-bleed red, the grid-and-pin mark inside the safe zone)."""
import os

from PIL import Image, ImageDraw

OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "grid_app", "static", "m")

RED, WHITE, YELLOW = (200, 16, 46), (255, 255, 255), (255, 210, 0)


def icon(size: int) -> Image.Image:
    """The icon at one size."""
    s = 4  # draw big, then downsample for smooth edges
    n = size * s
    img = Image.new("RGB", (n, n), RED)
    d = ImageDraw.Draw(img)
    lo, hi = int(n * 0.25), int(n * 0.75)  # inside the maskable 80 % safe circle
    w = max(2, int(n * 0.045))
    step = (hi - lo) / 3
    for i in range(4):
        p = int(lo + i * step)
        d.line([(lo, p), (hi, p)], fill=WHITE, width=w)
        d.line([(p, lo), (p, hi)], fill=WHITE, width=w)
    cx, cy, r = lo + 2 * step, lo + step, step * 0.55
    d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=YELLOW)
    return img.resize((size, size), Image.LANCZOS)


def write_icons() -> None:
    """Write icon-192.png and icon-512.png for the phone app's manifest."""
    for size in (192, 512):
        icon(size).save(os.path.join(OUT, f"icon-{size}.png"), optimize=True)


if __name__ == "__main__":
    write_icons()
