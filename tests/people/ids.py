"""Valid synthetic ID numbers for tests (region 341702 = Guichi district), made with the real check digit."""
from __future__ import annotations

from grid_app.people.identity import check_digit


def make_id(born: str = "19800101", seq: int = 1, male: bool = True, region: str = "341702") -> str:
    """A GB 11643-valid ID number: region, birth date YYYYMMDD, sequence (3 digits, odd = male)."""
    order = seq * 2 + (1 if male else 0)
    first17 = f"{region}{born}{order % 1000:03d}"
    return first17 + check_digit(first17)
