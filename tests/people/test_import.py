"""flask grid import-residents: encrypted at rest, per-row errors, all or nothing, re-import updates."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from grid_app.models import Building, DatasetVersion
from grid_app.models.people import Household, Resident
from grid_app.people.crypto import app_keyring

from .. import district as d
from .ids import make_id
from .register import HEADER, LI, PHONE, WANG, ZHAO, rows, write_csv, write_xlsx


def run(cli, path):
    return cli.invoke(args=["grid", "import-residents", str(path)])


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def buildings_version(session):
    return session.scalar(select(DatasetVersion.version).where(DatasetVersion.name == "buildings")) or 0


def test_import_encrypts_at_rest_and_counts_from_the_register(cli, session, app, tmp_path):
    before = buildings_version(session)
    res = run(cli, write_csv(tmp_path / "r.csv", rows()))
    assert res.exit_code == 0, res.output
    assert "3 new" in res.output and "2 new household(s)" in res.output
    raw = session.execute(text("SELECT r::text FROM resident r")).scalars().all()
    assert len(raw) == 3
    for plain in (WANG, LI, ZHAO, PHONE, WANG[-4:] + "", "13987654321"):
        assert not any(plain in row for row in raw)
    cipher, digest = session.execute(text("SELECT id_cipher, id_hash FROM resident WHERE name = '王建国'")).one()
    assert app_keyring(app).decrypt("id_number", cipher) == WANG and len(digest) == 64
    zhao = session.scalar(select(Resident).where(Resident.name == "欧阳明辉"))
    assert (zhao.sex, zhao.birth_date.isoformat()) == ("男", "1990-01-01")  # derived from the ID number
    courtyard = session.scalar(select(Building).where(Building.code == d.COURTYARD))
    session.refresh(courtyard)
    assert (courtyard.residents, courtyard.households) == (3, 2)  # the estimate (130, 48) gave way
    assert buildings_version(session) == before + 1


def test_reimport_updates_never_duplicates(cli, session, app, tmp_path):
    assert run(cli, write_csv(tmp_path / "a.csv", rows())).exit_code == 0
    changed = rows()
    changed[0][7] = "13700000000"
    changed[2][1:3] = ["3", "501"]  # moved to another flat
    res = run(cli, write_xlsx(tmp_path / "b.xlsx", changed))
    assert res.exit_code == 0, res.output
    assert "0 new, 3 updated" in res.output
    assert count(session, Resident) == 3
    wang = session.scalar(select(Resident).where(Resident.name == "王建国"))
    assert app_keyring(app).decrypt("phone", wang.phone_cipher) == "13700000000"
    assert count(session, Household) == 3  # the old flat stays, empty
    courtyard = session.scalar(select(Building).where(Building.code == d.COURTYARD))
    session.refresh(courtyard)
    assert (courtyard.residents, courtyard.households) == (3, 2)


BAD = [  # (column index, value, column header in the message, reason fragment)
    (6, WANG[:-1] + ("0" if WANG[-1] != "0" else "1"), "身份证号", "check digit"),
    (0, "341702900001R001B999", "楼栋编码", "no building"),
    (5, "1950-13-40", "出生日期", "not a date"),
    (5, "1951-03-12", "出生日期", "does not match the ID number"),
    (4, "女", "性别", "does not match the ID number"),
    (9, "外来", "人员类别", "must be one of"),
    (7, "12345", "手机号", "not a mobile"),
    (3, "", "姓名", "is empty"),
]


@pytest.mark.parametrize("column, value, header, reason", BAD)
def test_one_bad_row_refuses_the_file(cli, session, tmp_path, column, value, header, reason):
    body = rows()
    body[0][column] = value
    res = run(cli, write_csv(tmp_path / "bad.csv", body))
    assert res.exit_code == 1
    assert f"bad.csv row 2 column {header}" in res.output and reason in res.output
    assert "nothing was written" in res.output
    assert count(session, Resident) == 0 and count(session, Household) == 0


def test_every_bad_row_is_listed_and_duplicates_named(cli, session, tmp_path):
    body = rows() + [[d.COURTYARD, "1", "102", "王复", "男", "", WANG, "", "户主", "常住"],
                     [d.TOWER, "1", "101", "钱多", "男", "", make_id("19800101", 20)[:17] + "Y", "", "户主", "常住"]]
    res = run(cli, write_csv(tmp_path / "dup.csv", body))
    assert res.exit_code == 1
    assert "dup.csv row 5 column 身份证号/id_number: the same ID number as row 2" in res.output
    assert "dup.csv row 6 column 身份证号/id_number" in res.output
    assert WANG not in res.output  # messages never repeat an ID number
    assert count(session, Resident) == 0


def test_missing_column_and_id_as_number(cli, session, tmp_path):
    res = run(cli, write_csv(tmp_path / "cols.csv", [r[:6] for r in rows()], header=HEADER[:6]))
    assert res.exit_code == 1 and "required column missing" in res.output and "身份证号" in res.output
    body = rows()
    body[0][6] = float(WANG[:15])
    res = run(cli, write_xlsx(tmp_path / "num.xlsx", body))
    assert res.exit_code == 1 and "format the column as text" in res.output
    assert count(session, Resident) == 0


def test_reimport_after_key_rotation_finds_the_old_rows(cli, session, app, tmp_path, monkeypatch):
    from grid_app.people import crypto
    assert run(cli, write_csv(tmp_path / "a.csv", rows())).exit_code == 0
    old = app_keyring(app)
    rotated = crypto.Keyring(crypto.parse_key(crypto.new_key_text()), [])
    rotated.keys.update(old.keys)
    monkeypatch.setitem(app.extensions, "grid_app.keyring", rotated)
    res = run(cli, write_csv(tmp_path / "b.csv", rows()))
    assert res.exit_code == 0 and "0 new, 3 updated" in res.output, res.output
    wang = session.scalar(select(Resident).where(Resident.name == "王建国"))
    assert not rotated.needs_rekey(wang.id_cipher) and rotated.decrypt("id_number", wang.id_cipher) == WANG


def test_a_buildings_reimport_keeps_the_register_counts(cli, session, tmp_path):
    from grid_app.places.importer import import_files

    from ..district import write as write_district
    assert run(cli, write_csv(tmp_path / "r.csv", rows())).exit_code == 0
    folder = tmp_path / "district"
    folder.mkdir()
    files = [f for f in write_district(folder) if f.endswith("buildings.geojson")]
    import_files(session, files, progress=False, commit=False)
    courtyard = session.scalar(select(Building).where(Building.code == d.COURTYARD))
    session.refresh(courtyard)
    assert (courtyard.residents, courtyard.households) == (3, 2)  # not the file's estimate (130, 48)
    tower = session.scalar(select(Building).where(Building.code == d.TOWER))
    session.refresh(tower)
    assert tower.residents == 390  # no register there: the file's figure
