"""Making cases and test images through the same functions the app uses."""
from __future__ import annotations

import io
import uuid

from PIL import Image

from grid_app.cases import intake

from ..geo import lonlat


def new_key() -> str:
    """A fresh idempotency key."""
    return str(uuid.uuid4())


def log_case(session, user, x=100, y=300, category="0101", severity=1, key=None, photos=(), upload_dir="/tmp",
             description="路边垃圾堆积"):
    """Log a case at metres (x, y) of the test district; return (case, created)."""
    lon, lat = lonlat(x, y)
    data = intake.parse_case_input(session, {
        "category": category, "lon": lon, "lat": lat, "severity": severity, "accuracy_m": 8,
        "description": description, "idempotency_key": key or new_key()})
    return intake.create_case(session, user, data, list(photos), upload_dir=upload_dir, snap_m=30)


def jpeg(width=400, height=200, orientation=None, color=(200, 30, 30)) -> bytes:
    """A JPEG, optionally with an EXIF orientation tag."""
    img = Image.new("RGB", (width, height), color)
    buf = io.BytesIO()
    if orientation:
        exif = Image.Exif()
        exif[0x0112] = orientation
        img.save(buf, "JPEG", exif=exif)
    else:
        img.save(buf, "JPEG")
    return buf.getvalue()


def png(width=64, height=64) -> bytes:
    """A small PNG."""
    buf = io.BytesIO()
    Image.new("RGBA", (width, height), (0, 128, 0, 255)).save(buf, "PNG")
    return buf.getvalue()


def gif() -> bytes:
    """A GIF: an image, but not an accepted type."""
    buf = io.BytesIO()
    Image.new("P", (10, 10)).save(buf, "GIF")
    return buf.getvalue()


# The first bytes of an ELF executable, renamed to photo.jpg in the tests.
EXECUTABLE = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56 + bytes(range(256)) * 4
