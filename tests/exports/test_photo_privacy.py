"""Photos leave as pixels only: no EXIF (GPS), XMP, comment, text chunk or ICC profile; never in a shared cache."""
from __future__ import annotations

import io
import os

import pytest
from PIL import Image, ImageCms, PngImagePlugin
from sqlalchemy import select

from grid_app.models import CasePhoto

from ..cases.helpers import new_key
from ..geo import lonlat

SECRET = "secret-4711"
XMP = f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF>{SECRET}</rdf:RDF></x:xmpmeta>'.encode()
# Display P3-ish primaries would need conversion; an sRGB profile with a camera name in it shows the point.
ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = SECRET  # Make
    exif[0x0110] = "Phone 15"  # Model
    exif[0x0112] = 6  # orientation: rotate 90°
    exif.get_ifd(0x8825)[2] = (30.0, 39.0, 36.0)  # GPSLatitude
    return exif


def _photo(fmt: str) -> bytes:
    img = Image.new("RGB", (80, 40), (200, 30, 30))
    buf = io.BytesIO()
    if fmt == "JPEG":
        img.save(buf, "JPEG", exif=_exif(), comment=SECRET.encode(), xmp=XMP, icc_profile=ICC)
    elif fmt == "PNG":
        text = PngImagePlugin.PngInfo()
        text.add_text("Comment", SECRET)
        img.save(buf, "PNG", exif=_exif(), icc_profile=ICC, pnginfo=text)
    else:
        img.save(buf, "WEBP", exif=_exif(), xmp=XMP, icc_profile=ICC)
    data = buf.getvalue()
    assert SECRET.encode() in data  # the upload really carries it
    return data


def _assert_bare(data: bytes) -> None:
    assert SECRET.encode() not in data
    with Image.open(io.BytesIO(data)) as img:
        assert not {"comment", "exif", "xmp", "icc_profile", "XML:com.adobe.xmp", "Comment"} & set(img.info), img.info
        assert len(img.getexif()) == 0
        assert img.size == (40, 80)  # the orientation was applied before the tag went


@pytest.mark.parametrize("fmt, ext", [("JPEG", "jpg"), ("PNG", "png"), ("WEBP", "webp")])
def test_stored_and_served_photos_carry_no_metadata(app, session, login, fmt, ext):
    client = login("worker")
    lon, lat = lonlat(100, 300)
    res = client.post("/api/v1/cases", content_type="multipart/form-data", data={
        "category": "0101", "lon": str(lon), "lat": str(lat), "description": "路面破损",
        "idempotency_key": new_key(), "photos": [(io.BytesIO(_photo(fmt)), f"p.{ext}")]})
    assert res.status_code == 201, res.get_data(as_text=True)
    stored = session.scalars(select(CasePhoto).where(CasePhoto.case_id == res.get_json()["id"])).one()
    for rel in (stored.path, stored.thumb_path):
        with open(os.path.join(app.config["UPLOAD_DIR"], rel), "rb") as fh:
            data = fh.read()
        if rel == stored.path:
            _assert_bare(data)
        else:
            assert SECRET.encode() not in data and "comment" not in Image.open(io.BytesIO(data)).info
    for url in (p["url"] for p in res.get_json()["photos"]):
        served = client.get(url)
        assert served.status_code == 200
        assert served.headers["Cache-Control"] == "private, no-store"
        _assert_bare(served.get_data())
        thumb = client.get(url + ("&" if "?" in url else "?") + "thumb=1")
        assert thumb.headers["Cache-Control"] == "private, no-store" and SECRET.encode() not in thumb.get_data()
