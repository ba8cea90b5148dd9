"""Case photos: checked by content (not by name), EXIF orientation applied, metadata dropped, thumbnail kept."""
from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError
from sqlalchemy.orm import Session

from grid_app.models import CasePhoto
from grid_app.platform.errors import InvalidInput

FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
MAX_PHOTOS = 3
MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # refuse decompression bombs before decoding
MAX_SIDE = 2560  # stored photos are downscaled to this; phones already send ≤ 1600 px
THUMB_SIDE = 320


@dataclass(frozen=True)
class Photo:
    """A checked, normalised photo ready to store."""

    data: bytes
    thumb: bytes
    content_type: str
    extension: str
    width: int
    height: int
    sha256: str


def check_photos(blobs: list[tuple[str, bytes]], max_bytes: int = MAX_BYTES) -> list[Photo]:
    """Check every (name, bytes) upload and return normalised photos, or raise InvalidInput."""
    if len(blobs) > MAX_PHOTOS:
        raise InvalidInput(f"at most {MAX_PHOTOS} photos per case, got {len(blobs)}", code="too_many_photos")
    return [_check_one(name, data, max_bytes) for name, data in blobs]


def _check_one(name: str, data: bytes, max_bytes: int) -> Photo:
    if len(data) > max_bytes:
        raise InvalidInput(f"photo {name!r} is {len(data) / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB",
                           code="photo_too_large")
    if not data:
        raise InvalidInput(f"photo {name!r} is empty", code="not_an_image")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            if probe.width * probe.height > MAX_PIXELS:
                raise InvalidInput(f"photo {name!r} has too many pixels", code="photo_too_large")
            probe.verify()
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise InvalidInput(f"{name!r} is not a JPEG, PNG or WebP image", code="not_an_image") from exc
    if fmt == "MPO":  # phone JPEGs with a second image (depth, HDR gain map): keep the first, as a JPEG
        fmt = "JPEG"
    if fmt not in FORMATS:
        raise InvalidInput(f"{name!r} is a {fmt} image; send JPEG, PNG or WebP", code="unsupported_image_type")
    # Phones store the camera's rotation in EXIF; apply it so every viewer shows the same thing.
    image = _without_metadata(ImageOps.exif_transpose(image))
    if max(image.size) > MAX_SIDE:
        image.thumbnail((MAX_SIDE, MAX_SIDE))
    content_type, extension = FORMATS[fmt]
    out = _encode(image, fmt)
    thumb = image.copy()
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE))
    return Photo(out, _encode(thumb, "JPEG"), content_type, extension, image.width, image.height,
                 hashlib.sha256(out).hexdigest())


# Of the decoder's info, only what changes how the pixels look survives re-encoding.
KEEP_INFO = ("transparency",)
SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _without_metadata(image: Image.Image) -> Image.Image:
    """The pixels alone: no EXIF (GPS included), XMP, comment (COM), text chunks or ICC profile.

    Pillow writes a JPEG's comment and a PNG's ICC profile back by default; an ICC profile names the
    camera and can fingerprint it, so colours are converted to sRGB (what browsers assume) instead.
    """
    icc = image.info.get("icc_profile")
    if icc and image.mode in ("RGB", "RGBA"):
        try:
            image = ImageCms.profileToProfile(image, ImageCms.ImageCmsProfile(io.BytesIO(icc)), SRGB,
                                              outputMode=image.mode)
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile: keep the pixels as they are, still without the profile
    clean = image.copy()
    clean.info = {key: image.info[key] for key in KEEP_INFO if key in image.info}
    return clean


def _encode(image: Image.Image, fmt: str) -> bytes:
    buf = io.BytesIO()
    if fmt == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    image.save(buf, format=fmt, quality=85) if fmt != "PNG" else image.save(buf, format=fmt, optimize=True)
    return buf.getvalue()


def store(upload_dir: str, case_id: int, index: int, photo: Photo, kind: str,
          written: list[str] | None = None) -> tuple[str, str]:
    """Write a photo and its thumbnail under upload_dir; return their relative paths (each also added to `written`)."""
    folder = os.path.join(upload_dir, f"{case_id // 1000:04d}", str(case_id))
    os.makedirs(folder, exist_ok=True)
    stem = f"{kind}-{index}-{photo.sha256[:12]}"
    rel = os.path.relpath(os.path.join(folder, f"{stem}.{photo.extension}"), upload_dir)
    rel_thumb = os.path.relpath(os.path.join(folder, f"{stem}-thumb.jpg"), upload_dir)
    for path, data in ((rel, photo.data), (rel_thumb, photo.thumb)):
        full = os.path.join(upload_dir, path)
        tmp = full + ".part"
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, full)  # atomic: a crash never leaves half a photo under the real name
        if written is not None:
            written.append(path)
    return rel, rel_thumb


def commit_with_photos(session: Session, upload_dir: str | None, case_id: int, checked: list[Photo], kind: str,
                       first_index: int = 0) -> None:
    """Write the checked photos' files, add their rows and commit the session's whole operation, all or nothing.

    The files are written before the commit so a committed row always has its file; if anything fails
    the transaction is rolled back and every file written here is removed again.
    """
    written: list[str] = []
    try:
        for index, photo in enumerate(checked, start=first_index):
            rel, rel_thumb = store(upload_dir, case_id, index, photo, kind, written)
            session.add(CasePhoto(case_id=case_id, kind=kind, path=rel, thumb_path=rel_thumb,
                                  content_type=photo.content_type, width=photo.width, height=photo.height,
                                  bytes=len(photo.data), sha256=photo.sha256))
        session.commit()
    except Exception:  # any failure at all: the files must not outlive the rows they belong to
        session.rollback()
        for rel in written:
            _remove_quietly(os.path.join(upload_dir, rel))
        raise


def _remove_quietly(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass
