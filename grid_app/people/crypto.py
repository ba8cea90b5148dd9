"""Personal data at rest: AES-GCM encryption under a key from the environment, keyed hashes for look-ups.

A ciphertext is text `v1:<key id>:<base64 nonce+ciphertext>`, bound to its field (the field name is the
AES-GCM associated data, so an ID-number ciphertext copied into the phone column does not decrypt).
The key id travels with each value, so old keys (GRID_APP_PERSONAL_DATA_OLD_KEYS) still decrypt after
a rotation. The look-up hash is HMAC-SHA256 under a sub-key derived (HKDF) from each key: a look-up
tries the hashes under the current and the old keys, so a re-import after a rotation still finds its
rows (and rewrites them under the current key).

Development and tests without GRID_APP_PERSONAL_DATA_KEY use a random key kept in
instance/personal_data.key; production refuses to start without the environment key (config.py).
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_ENV = "GRID_APP_PERSONAL_DATA_KEY"
OLD_KEYS_ENV = "GRID_APP_PERSONAL_DATA_OLD_KEYS"
DEV_KEY_FILE = "personal_data.key"
VERSION = "v1"
NONCE_BYTES = 12


class BadKey(ValueError):
    """A personal-data key is missing or malformed (the message names the setting)."""


class UndecryptableValue(ValueError):
    """A stored value's key is unknown or the value was altered."""


def parse_key(text: str, setting: str = KEY_ENV) -> bytes:
    """The 32 raw bytes of a base64 key; BadKey naming the setting otherwise."""
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadKey(f"{setting} is not base64") from exc
    if len(raw) != 32:
        raise BadKey(f"{setting} must be 32 bytes in base64 (e.g. `python -c \"import base64, os; "
                        f"print(base64.b64encode(os.urandom(32)).decode())\"`), got {len(raw)} bytes")
    return raw


def new_key_text() -> str:
    """A fresh random key in the base64 form the settings take."""
    return base64.b64encode(os.urandom(32)).decode()


@dataclass(frozen=True)
class _Key:
    kid: str
    aead: AESGCM
    lookup: bytes


def _key(raw: bytes) -> _Key:
    kid = hashlib.sha256(b"grid_app key id" + raw).hexdigest()[:8]
    lookup = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"grid_app lookup hash").derive(raw)
    return _Key(kid, AESGCM(raw), lookup)


class Keyring:
    """The current key (encrypts, hashes) and the old ones (decrypt and look-up only)."""

    def __init__(self, current: bytes, old: list[bytes] | tuple[bytes, ...] = ()):
        self.current = _key(current)
        self.keys = {self.current.kid: self.current}
        for raw in old:
            k = _key(raw)
            self.keys.setdefault(k.kid, k)

    def encrypt(self, field: str, value: str | None) -> str | None:
        """The ciphertext text of a value for a field (None stays None)."""
        if value is None:
            return None
        nonce = os.urandom(NONCE_BYTES)
        sealed = self.current.aead.encrypt(nonce, value.encode(), field.encode())
        return f"{VERSION}:{self.current.kid}:{base64.b64encode(nonce + sealed).decode()}"

    def decrypt(self, field: str, stored: str | None) -> str | None:
        """The plaintext of a stored value; UndecryptableValue when its key is unknown or it was altered."""
        if stored is None:
            return None
        try:
            version, kid, body = stored.split(":", 2)
            blob = base64.b64decode(body, validate=True)
        except (ValueError, binascii.Error) as exc:
            raise UndecryptableValue("not a stored ciphertext") from exc
        key = self.keys.get(kid)
        if version != VERSION or key is None:
            raise UndecryptableValue(f"value encrypted under unknown key {kid!r} (set {OLD_KEYS_ENV})")
        try:
            return key.aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], field.encode()).decode()
        except InvalidTag as exc:
            raise UndecryptableValue("the stored value does not match its key or field") from exc

    def needs_rekey(self, stored: str | None) -> bool:
        """True when a stored value is under an old key (a rotation rewrites it)."""
        return stored is not None and stored.split(":", 2)[1:2] != [self.current.kid]

    def digest(self, field: str, value: str | None) -> str | None:
        """The keyed look-up hash of a value under the current key (what is stored)."""
        return None if value is None else _hmac(self.current.lookup, field, value)

    def digests(self, field: str, value: str) -> list[str]:
        """The look-up hashes of a value under every key (what a search matches)."""
        return [_hmac(k.lookup, field, value) for k in self.keys.values()]


def _hmac(key: bytes, field: str, value: str) -> str:
    return hmac.new(key, f"{field}\x00{value}".encode(), hashlib.sha256).hexdigest()


def keyring_from_settings(config, instance_path: str) -> Keyring:
    """The keyring of the settings; without a key (development, tests) the one under instance/."""
    text = config.get(KEY_ENV)
    current = parse_key(text) if text else _dev_key(instance_path)
    old = [parse_key(part, OLD_KEYS_ENV) for part in (config.get(OLD_KEYS_ENV) or "").split(",") if part.strip()]
    return Keyring(current, old)


def check_production(config) -> None:
    """Refuse production settings without a valid personal-data key (raises ValueError)."""
    if not config.get(KEY_ENV):
        raise ValueError(f"GRID_APP_ENV=production needs {KEY_ENV} (32 random bytes in base64): "
                         "ID numbers and phones are encrypted under it")
    keyring_from_settings(config, "")


def app_keyring(app) -> Keyring:
    """The application's keyring, built once per app."""
    ring = app.extensions.get("grid_app.keyring")
    if ring is None:
        ring = app.extensions["grid_app.keyring"] = keyring_from_settings(app.config, app.instance_path)
    return ring


def _dev_key(instance_path: str) -> bytes:
    # Made once, atomically (link fails if another process won), so parallel test processes share it.
    path = os.path.join(instance_path, DEV_KEY_FILE)
    if not os.path.exists(path):
        os.makedirs(instance_path, exist_ok=True)
        tmp = f"{path}.{os.getpid()}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(new_key_text() + "\n")
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    with open(path) as f:
        return parse_key(f.read(), path)
