"""Key rotation covers party members' phones as it does residents'."""
from __future__ import annotations

from sqlalchemy import text

from grid_app.people import crypto


def test_rekey_rewrites_party_member_phones(cli, session, app, make_member, monkeypatch):
    make_member(name="张红", phone="13900001111")
    make_member(name="李明", phone="13900002222")
    session.commit()
    old = crypto.app_keyring(app)
    new_raw = crypto.parse_key(crypto.new_key_text())
    rotated = crypto.Keyring(new_raw, [])
    rotated.keys.update(old.keys)  # the old key kept as a previous key
    monkeypatch.setitem(app.extensions, "grid_app.keyring", rotated)
    res = cli.invoke(args=["grid", "rekey"])
    assert res.exit_code == 0, res.output
    only_new = crypto.Keyring(new_raw, [])  # the old key dropped: every phone still reads
    rows = session.execute(text("SELECT phone_cipher, phone_hash, m::text AS raw FROM party_member m")).all()
    phones = sorted(only_new.decrypt("phone", row.phone_cipher) for row in rows)
    assert phones == ["13900001111", "13900002222"]
    for row in rows:
        assert row.phone_hash == only_new.digest("phone", only_new.decrypt("phone", row.phone_cipher))
        assert "1390000" not in row.raw
