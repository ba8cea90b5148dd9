"""The privacy core without a database: encryption, look-up hashes, keys, masking, GB 11643."""
from __future__ import annotations

import base64
from datetime import date

import pytest

from grid_app import create_app
from grid_app.people import crypto
from grid_app.people.identity import BadIdNumber, check_digit, parse_id
from grid_app.people.masking import mask_id, mask_name, mask_phone

from .ids import make_id

KEY_A, KEY_B = (base64.b64encode(bytes([n]) * 32).decode() for n in (1, 2))


def ring(current, *old):
    return crypto.Keyring(crypto.parse_key(current), [crypto.parse_key(k) for k in old])


def test_round_trip_and_no_plaintext():
    keys = ring(KEY_A)
    stored = keys.encrypt("id_number", "34170219800101003X")
    assert "34170219800101003X" not in stored and stored.startswith("v1:")
    assert keys.decrypt("id_number", stored) == "34170219800101003X"
    assert keys.encrypt("id_number", "x") != keys.encrypt("id_number", "x")  # fresh nonce each time


def test_ciphertext_is_bound_to_its_field_and_key():
    keys = ring(KEY_A)
    stored = keys.encrypt("id_number", "13800138000")
    with pytest.raises(crypto.UndecryptableValue):
        keys.decrypt("phone", stored)
    with pytest.raises(crypto.UndecryptableValue, match="unknown key"):
        ring(KEY_B).decrypt("id_number", stored)
    tampered = stored[:-4] + ("AAAA" if not stored.endswith("AAAA") else "BBBB")
    with pytest.raises(crypto.UndecryptableValue):
        keys.decrypt("id_number", tampered)


def test_rotation_old_key_reads_and_looks_up():
    before = ring(KEY_A)
    stored, digest = before.encrypt("phone", "13800138000"), before.digest("phone", "13800138000")
    after = ring(KEY_B, KEY_A)
    assert after.decrypt("phone", stored) == "13800138000"
    assert after.needs_rekey(stored) and not after.needs_rekey(after.encrypt("phone", "1"))
    assert digest in after.digests("phone", "13800138000")
    assert after.digest("phone", "13800138000") != digest  # new rows are hashed under the new key


def test_digest_is_keyed_and_per_field():
    keys = ring(KEY_A)
    assert keys.digest("phone", "13800138000") == keys.digest("phone", "13800138000")
    assert keys.digest("phone", "13800138000") != keys.digest("id_number", "13800138000")
    assert keys.digest("phone", "13800138000") != ring(KEY_B).digest("phone", "13800138000")


@pytest.mark.parametrize("text", ["", "abc", base64.b64encode(b"short").decode()])
def test_bad_keys_are_named(text):
    with pytest.raises(crypto.BadKey, match=crypto.KEY_ENV):
        crypto.parse_key(text)


def test_development_key_is_made_once_under_instance(tmp_path):
    first = crypto.keyring_from_settings({}, str(tmp_path))
    second = crypto.keyring_from_settings({}, str(tmp_path))
    assert first.current.kid == second.current.kid
    assert (tmp_path / crypto.DEV_KEY_FILE).stat().st_mode & 0o077 == 0


def test_production_refuses_to_start_without_the_key(monkeypatch):
    monkeypatch.setenv("GRID_APP_ENV", "production")
    monkeypatch.delenv(crypto.KEY_ENV, raising=False)
    settings = {"DATABASE_URL": "postgresql+psycopg2://x@/y", "SECRET_KEY": "k" * 40}
    with pytest.raises(ValueError, match=crypto.KEY_ENV):
        create_app(settings)
    with pytest.raises(ValueError, match=crypto.KEY_ENV):
        create_app({**settings, crypto.KEY_ENV: "not-a-key"})
    monkeypatch.setenv(crypto.KEY_ENV, KEY_A)
    assert create_app(settings).config[crypto.KEY_ENV] == KEY_A


def test_masks():
    assert mask_id("341702198001011234") == "341702********1234"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("0566-2345678") == "********5678"
    assert mask_name("王五") == "王*" and mask_name("欧阳娜娜") == "欧阳**" and mask_name("王") == "王*"
    assert mask_name("欧阳") == "欧*"  # a two-character name is surname + given name


def test_gb11643_check_digit_birth_and_sex():
    assert check_digit("11010519491231002") == "X"  # the standard's own example
    parsed = parse_id("11010519491231002x")
    assert (parsed.number, parsed.birth_date, parsed.sex) == ("11010519491231002X", date(1949, 12, 31), "女")
    assert parse_id(make_id("19800101", 3, male=True)).sex == "男"


@pytest.mark.parametrize("text, reason", [
    ("11010519491231002", "17 digits"),
    ("110105194912310021", "check digit"),
    (make_id("19801301"), "not a date"),
    (make_id("21990101"), "out of range"),
])
def test_gb11643_refusals(text, reason):
    with pytest.raises(BadIdNumber, match=reason):
        parse_id(text)
