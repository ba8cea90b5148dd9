"""Filing public requests through the case pipeline, and reading cases back as Open311 requests."""
from __future__ import annotations

import hashlib
import re
import uuid

from sqlalchemy.orm import Session

from grid_app.cases import clock, intake
from grid_app.models import Case, Open311Key, Open311Request
from grid_app.open311 import attributes, geocode, services
from grid_app.platform.errors import InvalidInput, NotFound

CONTACT_FIELDS = {"email": 254, "first_name": 100, "last_name": 100, "phone": 30,
                  "device_id": 100, "account_id": 100}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
CLIENT_KEY = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")
MAX_MEDIA_URL = 500


def submit(session: Session, key: Open311Key, form, *, upload_dir: str, snap_m: float,
           lang: str) -> tuple[Case, bool]:
    """File a public request from the POST fields; the same client key again returns the same case."""
    code = str(form.get("service_code") or "").strip()
    if not code:
        raise InvalidInput("service_code is required", code="bad_service_code")
    try:
        category = services.active_category(session, code)
    except NotFound as exc:  # for a POST an unknown service is a bad request, not a missing page
        raise InvalidInput(f"service_code {code!r} is not a known service; see services.xml",
                           code="bad_service_code") from exc
    lon, lat, place = _location(session, form)
    answers = attributes.parse(code, form)
    contact = _contact(form)
    media_url = _media_url(form.get("media_url"))
    description = str(form.get("description") or "").strip() or services.service_name(category, "zh")
    extra = attributes.describe(code, answers, "zh")
    if extra:
        description = description + "\n" + "\n".join(extra)
    address = str(form.get("address_string") or "").strip() or place
    fields = {"category": code, "lon": lon, "lat": lat, "description": description,
              "address": address, "contact": contact or None,
              "idempotency_key": idempotency_key(key, form)}
    data = intake.parse_case_input(session, fields, channel="public")

    def record(case: Case) -> None:  # written in the case's own commit: never a case without its record
        session.add(Open311Request(case_id=case.id, key_id=key.id, media_url=media_url,
                                   attributes=answers or None))
        key.last_used_at = clock.now()

    case, created = intake.create_case(session, None, data, [], upload_dir=upload_dir, snap_m=snap_m,
                                       also_write=record)
    if not created:  # a repeat wrote nothing: only the key's last use is stamped
        key.last_used_at = clock.now()
        session.commit()
    return case, created


def idempotency_key(key: Open311Key, form) -> str:
    """The case key: derived from client, device/account and the client's idempotency_key, else fresh."""
    given = str(form.get("idempotency_key") or "").strip()
    if not given:
        return f"o311-{uuid.uuid4()}"
    if not CLIENT_KEY.match(given):
        raise InvalidInput("idempotency_key must be 1-100 letters, digits or . _ : -", code="bad_idempotency_key")
    parts = [str(key.id), str(form.get("device_id") or ""), str(form.get("account_id") or ""), given]
    return "o311-" + hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:48]


def _location(session: Session, form) -> tuple[float, float, str | None]:
    lat, lon = form.get("lat"), form.get("long")
    if lat not in (None, "") or lon not in (None, ""):
        if lat in (None, "") or lon in (None, ""):
            raise InvalidInput("lat and long must be given together", code="bad_coordinates")
        return lon, lat, None
    if str(form.get("address_id") or "").strip():
        found = geocode.by_address_id(session, str(form.get("address_id")).strip())
        return found.lon, found.lat, found.label
    if str(form.get("address_string") or "").strip():
        found = geocode.by_name(session, str(form.get("address_string")))
        return found.lon, found.lat, found.label
    raise InvalidInput("a location is required: lat and long, address_string or address_id",
                       code="bad_coordinates")


def _contact(form) -> dict:
    contact = {}
    for name, limit in CONTACT_FIELDS.items():
        value = str(form.get(name) or "").strip()
        if not value:
            continue
        if len(value) > limit:
            raise InvalidInput(f"{name} is longer than {limit} characters", code=f"bad_{name}")
        contact[name] = value
    if "email" in contact and not EMAIL.match(contact["email"]):
        raise InvalidInput("email is not a valid e-mail address", code="bad_email")
    return contact


def _media_url(raw) -> str | None:
    value = str(raw or "").strip()
    if not value:
        return None
    if len(value) > MAX_MEDIA_URL or not URL.match(value):
        raise InvalidInput(f"media_url must be an http(s) URL of at most {MAX_MEDIA_URL} characters",
                           code="bad_media_url")
    return value
