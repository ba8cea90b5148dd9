"""A small test district with the awkward cases: a shared edge, a courtyard hole, an exclave.

Street 341702900 (two communities side by side, x 0..1000 m, y 0..1000 m, plus an exclave
of community A at x 1200..1300, y 0..100):
  community A 341702900001: x 0..500 → grid A1 (y 0..500), grid A2 (y 500..1000 + exclave)
  community B 341702900002: x 500..1000 → grid B1
  residential area A1-R1 at x 50..450, y 50..450 with a courtyard building (hole 130..170)
"""
from __future__ import annotations

from shapely.ops import unary_union

from .geo import box, feature, multi, write_layer

STREET = "341702900"
COMM_A, COMM_B = STREET + "001", STREET + "002"
GRID_A1, GRID_A2, GRID_B1 = COMM_A + "001", COMM_A + "002", COMM_B + "001"
AREA = COMM_A + "R001"
COURTYARD = AREA + "B001"
TOWER = AREA + "B002"

EXCLAVE = box(1200, 0, 1300, 100)


def layers() -> dict[str, list[dict]]:
    """The district's layers as GeoJSON features."""
    a = multi(box(0, 0, 500, 1000), EXCLAVE)
    b = multi(box(500, 0, 1000, 1000))
    return {
        "streets": [feature(unary_union([a, b]), code=STREET, name="测试街道")],
        "communities": [
            feature(a, code=COMM_A, name="甲社区", street_code=STREET, party_org_kind="党委",
                    party_org_name="甲社区党委", party_secretary="王书记", party_members=120),
            feature(b, code=COMM_B, name="乙社区", street_code=STREET, party_org_kind="党总支",
                    party_org_name="乙社区党总支", party_secretary="李书记", party_members=60),
        ],
        "grids": [
            feature(multi(box(0, 0, 500, 500)), code=GRID_A1, name="甲社区第1网格",
                    community_code=COMM_A, workers="张三"),
            feature(multi(box(0, 500, 500, 1000), EXCLAVE), code=GRID_A2, name="甲社区第2网格",
                    community_code=COMM_A, workers="李四、王五"),
            feature(b, code=GRID_B1, name="乙社区第1网格", community_code=COMM_B, workers="赵六"),
        ],
        "residential_areas": [
            feature(box(50, 50, 450, 450), code=AREA, name="翠微苑", community_code=COMM_A,
                    party_org_kind="党支部", party_org_name="翠微苑党支部", party_secretary="陈支书",
                    party_members=30),
        ],
        "buildings": [
            feature(box(100, 100, 200, 200, holes=[(130, 130, 170, 170)]), code=COURTYARD,
                    name="1栋", community_code=COMM_A, residential_area_code=AREA, floors=6,
                    households=48, residents=130, party_org_kind="党小组",
                    party_org_name="1栋党小组", party_secretary="刘组长", party_members=8),
            feature(box(300, 300, 330, 330), code=TOWER, name="2栋", community_code=COMM_A,
                    residential_area_code=AREA, floors=18, households=140, residents=390),
            feature(box(600, 600, 640, 615), code=COMM_B + "B001", name="沿街商铺",
                    community_code=COMM_B, floors=2, households=2, residents=5),
        ],
    }


def write(folder) -> list[str]:
    """Write every layer to folder/<layer>.geojson; return the paths."""
    return [write_layer(folder / f"{name}.geojson", feats) for name, feats in layers().items()]
