"""Step 7: the people of the demo, the party organisations — 党委/党总支 per community, 党支部 per
residential area, 党小组 in about a third of the buildings — with secretaries and member counts."""
from __future__ import annotations

import numpy as np

from grid_app.demo_data.names import person


def party_organisations(comms, res_areas, buildings, rng, log) -> None:
    """Set 'party' on areas and some buildings, and 'members' and 'kind' on communities."""
    for c in comms:
        c["members"] = 0
    by_area: dict[int, list] = {}
    for bd in buildings:
        if bd["area"] is not None:
            by_area.setdefault(id(bd["area"]), []).append(bd)
    for ra in res_areas:
        _area_branch(ra, by_area.get(id(ra), []), comms[ra["community"]], rng)
    for c in comms:
        c["members"] += int(rng.integers(8, 40))
        log(f"{c['name']}: {c['members']} party members")
        # larger community party organisations are 党委, smaller ones 党总支
        c["kind"] = "党委" if c["members"] >= 400 else "党总支"


def _area_branch(ra, bl, comm, rng) -> None:
    """The area's 党支部 and the 党小组 of its buildings bl (larger buildings more likely); adds to comm."""
    rate = comm["rate"]
    res_tot = sum(b["residents"] for b in bl)
    ngrp = int(round(0.3 * len(bl)))
    if bl and ngrp:
        w = np.array([b["residents"] for b in bl], float) + 5.0
        pick = {int(i) for i in rng.choice(len(bl), size=ngrp, replace=False, p=w / w.sum())}
    else:
        pick = set()
    gsum = 0
    for i, bd in enumerate(bl):
        if i in pick:
            m = int(np.clip(round(bd["residents"] * rate * rng.uniform(1.0, 2.0)), 3, 15))
            bd["party"] = dict(kind="党小组", name=f"{ra['name']}{bd['name']}党小组",
                               secretary=person(rng), members=m)
            gsum += m
    ra["party"] = dict(kind="党支部", name=f"{ra['name']}党支部", secretary=person(rng),
                       members=max(3, gsum + int(rng.integers(2, 9)), int(round(res_tot * rate))))
    comm["members"] += ra["party"]["members"]
