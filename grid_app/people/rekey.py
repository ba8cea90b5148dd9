"""Re-encrypting personal data under the current key after a rotation, look-up hashes recomputed.

After GRID_APP_PERSONAL_DATA_KEY is replaced and the old key moved to GRID_APP_PERSONAL_DATA_OLD_KEYS,
old values still decrypt (crypto.py) but stay under the old key. rekey() rewrites every value that
is not under the current key, or whose look-up hash is not the current key's, in batches by id; a
second run finds nothing to do. After it the old key can be dropped from the settings.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from tqdm import tqdm

from grid_app.models.party import PartyMember
from grid_app.models.people import Resident
from grid_app.people.crypto import Keyring, UndecryptableValue
from grid_app.platform.errors import InvalidInput

BATCH = 1000
# Every encrypted column: model -> (field, ciphertext attribute, hash attribute or None).
ENCRYPTED = {
    Resident: (("id_number", "id_cipher", "id_hash"), ("phone", "phone_cipher", "phone_hash")),
    PartyMember: (("phone", "phone_cipher", "phone_hash"),),
}


@dataclass
class RekeyReport:
    """How many rows were read and rewritten (counts only)."""

    rows: int = 0
    rewritten: int = 0


def rekey(session: Session, keys: Keyring, *, progress: bool = False) -> RekeyReport:
    """Rewrite every value not under the current key (or with a stale hash); flush only, the caller commits."""
    report = RekeyReport()
    for model, fields in ENCRYPTED.items():
        columns = [model.id] + [getattr(model, a) for _, cipher, hashed in fields
                                for a in (cipher, hashed) if a is not None]
        total = session.scalar(select(func.count()).select_from(model))
        last = 0
        with tqdm(total=total, desc=model.__tablename__, unit="row", disable=not progress) as bar:
            while True:
                rows = session.execute(select(*columns).where(model.id > last).order_by(model.id).limit(BATCH)).all()
                if not rows:
                    break
                changes = [c for c in (_rewrite(keys, model, fields, row._mapping) for row in rows) if c]
                if changes:
                    session.execute(update(model), changes)  # ORM bulk UPDATE by primary key
                report.rows += len(rows)
                report.rewritten += len(changes)
                last = rows[-1].id
                bar.update(len(rows))
    session.flush()
    return report


def _rewrite(keys: Keyring, model, fields, row) -> dict | None:
    change = {}
    for field, cipher, hashed in fields:
        stored = row[cipher]
        if stored is None:
            continue
        try:
            plain = keys.decrypt(field, stored)
        except UndecryptableValue as exc:
            raise InvalidInput(f"{model.__tablename__} {row['id']} {field}: {exc}", code="undecryptable") from exc
        digest = keys.digest(field, plain)
        if keys.needs_rekey(stored) or (hashed is not None and row[hashed] != digest):
            change[cipher] = keys.encrypt(field, plain)
            if hashed is not None:
                change[hashed] = digest
    if change:
        change["id"] = row["id"]
    return change or None
