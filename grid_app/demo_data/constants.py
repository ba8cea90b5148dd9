"""Where the demo district lies, its road classes and the facility tables of the generator."""
from __future__ import annotations

from pyproj import Transformer

CENTER_LON, CENTER_LAT = 117.48, 30.66
DISTRICT_CODE = "341702"
UTM = "EPSG:32650"
WGS84 = "EPSG:4326"
TO_UTM = Transformer.from_crs(WGS84, UTM, always_xy=True)
TO_WGS = Transformer.from_crs(UTM, WGS84, always_xy=True)
X0, Y0 = TO_UTM.transform(CENTER_LON, CENTER_LAT)

LAYERS = ["streets", "communities", "grids", "residential_areas", "buildings",
          "facilities", "network"]
ROAD_CLASSES = ["primary", "secondary", "tertiary", "residential"]
HIGHWAYS = ROAD_CLASSES + ["service", "footway", "path"]
RANK = {h: i for i, h in enumerate(HIGHWAYS)}
# half width of the road reserve (centreline -> kerb / property line), metres
ROAD_HW = {"primary": 13.0, "secondary": 10.0, "tertiary": 8.0, "residential": 6.0}
MAX_EDGE = 60.0          # network edges longer than this are split
WALK_SPEED = 1.2         # m/s
WALK_15MIN = WALK_SPEED * 15 * 60   # 1080 m

FACILITY_TYPES = {
    "party_service": "党群服务中心",
    "health_station": "社区卫生服务站",
    "elderly_care": "养老服务站",
    "kindergarten": "幼儿园",
    "primary_school": "小学",
    "market": "菜市场",
    "fitness": "健身场地",
    "convenience": "便利店",
    # the 15-minute level (GB 50180-2018 附录B 十五分钟生活圈居住区), placed after the others
    "middle_school": "初中",
    "health_centre": "社区卫生服务中心",
    "culture_centre": "文化活动中心",
    "street_service": "街道综合服务中心",
}
# facilities per type at scale 1 (party_service: one per community)
FACILITY_COUNTS = {"health_station": 5, "elderly_care": 8, "kindergarten": 7,
                   "primary_school": 3, "market": 5, "fitness": 12, "convenience": 25}
# the 15-minute level's facilities at scale 1 (a street of six communities holds one or two of each);
# drawn from their own generator (seed FIFTEEN_MIN_SEED) so the layers drawn before keep their numbers
FIFTEEN_MIN_COUNTS = {"middle_school": 2, "health_centre": 1, "culture_centre": 2, "street_service": 1}
FIFTEEN_MIN_SEED = 1062
# minimum distance between two facilities of the same type (m)
FACILITY_SPACING = {"party_service": 300, "health_station": 450, "elderly_care": 250,
                    "kindergarten": 300, "primary_school": 500, "market": 350,
                    "fitness": 150, "convenience": 90, "middle_school": 900, "health_centre": 900,
                    "culture_centre": 900, "street_service": 900}
# 'east bias' of each type (how strongly it prefers the east / centre)
FACILITY_EAST_BIAS = {"health_station": 1.0, "elderly_care": 2.0, "kindergarten": 1.5,
                      "primary_school": 1.0, "market": 1.5, "fitness": 2.0, "convenience": 2.5,
                      "middle_school": 0.5, "health_centre": 0.5, "culture_centre": 1.0, "street_service": 0.0}
