"""A generated register of a few hundred households over the test district, with care tags per grid."""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from .. import district as d
from ..people.ids import make_id
from ..people.register import HEADER, write_xlsx

A2_HOUSE = d.COMM_A + "X001"  # a building the test adds in grid A2 (the district has none)
SHOP = d.COMM_B + "B001"
# Flats per building and the care tags its key residents carry: the tags of grid A1 are never used
# elsewhere, so a tag name on another role's page can only be a leak of A1's people.
BUILDINGS = {d.COURTYARD: (90, ("残疾人", "大病患者")), d.TOWER: (150, ("残疾人", "大病患者")),
             A2_HOUSE: (40, ("低保", "退役军人")), SHOP: (20, ("低保", "退役军人"))}
A1_TAGS = ("残疾人", "大病患者")
LEVELS = ("红", "黄", "绿")
SURNAMES = "赵钱孙李周吴郑冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"
GIVEN = "瑾瑜璟琛珩瑶玥珏琰璇瑄琬琨珞璐瑛琪璨"  # rare enough to appear in no template


@dataclass
class Person:
    """One generated resident and the grid-relevant facts the tests check."""

    building: str
    unit: str
    room: str
    name: str
    male: bool
    born: date
    id_number: str
    phone: str
    relation: str
    tags: list[tuple[str, str]] = field(default_factory=list)

    def row(self) -> list:
        tags = "; ".join(f"{t}:{lv}" for t, lv in self.tags)
        return [self.building, self.unit, self.room, self.name, "男" if self.male else "女",
                self.born.isoformat(), self.id_number, self.phone, self.relation, "户籍", tags]


def people(seed: int = 15) -> list[Person]:
    """About 300 households and 700 residents; every ID a valid GB 11643 number with its birth date and sex."""
    rnd = random.Random(seed)
    names = iter(rnd.sample([s + a + b for s in SURNAMES for a in GIVEN for b in GIVEN if a != b], 2000))
    out, n = [], 0
    for building, (flats, tags) in BUILDINGS.items():
        for flat in range(flats):
            unit, room = str(flat % 4 + 1), f"{flat // 4 % 20 + 1}{flat % 2 + 1:02d}"
            for member in range(rnd.choice((1, 2, 2, 3, 3, 4))):
                n += 1
                born = date(1935, 1, 1) + timedelta(days=n * 37 % 30000)
                male = n % 2 == 0
                person = Person(building, unit, f"{room}-{flat}", next(names), male, born,
                                make_id(born.strftime("%Y%m%d"), n % 450 + 1, male=male),
                                f"139{n:08d}", "户主" if member == 0 else "子女")
                if n % 3 == 0:  # a third of them need care
                    person.tags.append((tags[n % 2], LEVELS[n // 3 % 3]))
                if n % 15 == 0:
                    person.tags.append((tags[(n + 1) % 2], "红"))
                out.append(person)
    return out


def write(path, persons: list[Person]) -> str:
    """The register as an xlsx with the documented headers and the 标签 column."""
    return write_xlsx(path, [p.row() for p in persons], header=HEADER + ["标签"])
