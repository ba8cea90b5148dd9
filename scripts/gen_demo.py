#!/usr/bin/env python3
"""Deterministic generator for the grid_app demo data set (网格化管理演示数据).

A fictional part of 贵池区 (Guichi district, Chizhou, admin code 341702),
centred at about 30.66 N, 117.48 E.  Everything is built in the metric CRS
EPSG:32650 (UTM 50N) and transformed to EPSG:4326 (lon/lat) on output.

Pipeline
  1. street network: a warped, irregular grid of arterial and local roads plus
     diagonal / bent roads; noded, dangles pruned, polygonized into blocks;
     slivers and a few random pairs of blocks merged; one corner cut off.
  2. hierarchy: blocks -> streets (街道) -> communities (社区) -> grids (网格)
     by balanced region growing on the block adjacency graph, so every level
     is a union of whole blocks (shared, identical vertices; no gaps/overlaps).
  3. residential areas (小区): block minus the road half-width, some blocks
     split into two areas; parks, schools and street-side commercial blocks.
  4. buildings (楼栋) in rows following each block's orientation; a few
     street-side shops / old houses outside any residential area.
  5. walking network: roads + internal ring roads, paths between building
     rows, gates, building entrance stubs, park paths; fully noded.
  6. facilities (Points), denser in the east/centre than in the west.
  7. party organisations and people's names.

Usage:
    .venv/bin/python scripts/gen_demo.py [--out geodata/demo] [--seed 7] [--scale 1.0]

Importable:
    from gen_demo import generate, write
    layers = generate(seed=7, scale=1.0)   # layer name -> GeoJSON dict
    write("geodata/demo", layers)

Only numpy's default_rng(seed) is used for randomness; the same seed gives
byte-identical files.
"""
from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box, shape
from shapely.strtree import STRtree

# --------------------------------------------------------------------------
# constants
# --------------------------------------------------------------------------
CENTER_LON, CENTER_LAT = 117.48, 30.66
DISTRICT_CODE = "341702"
UTM = "EPSG:32650"
WGS84 = "EPSG:4326"
_TO_UTM = Transformer.from_crs(WGS84, UTM, always_xy=True)
_TO_WGS = Transformer.from_crs(UTM, WGS84, always_xy=True)
X0, Y0 = _TO_UTM.transform(CENTER_LON, CENTER_LAT)

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
}
# facilities per type at scale 1 (party_service: one per community)
FACILITY_COUNTS = {"health_station": 5, "elderly_care": 8, "kindergarten": 7,
                   "primary_school": 3, "market": 5, "fitness": 12, "convenience": 25}
# minimum distance between two facilities of the same type (m)
FACILITY_SPACING = {"party_service": 300, "health_station": 450, "elderly_care": 250,
                    "kindergarten": 300, "primary_school": 500, "market": 350,
                    "fitness": 150, "convenience": 90}
# 'east bias' of each type (how strongly it prefers the east / centre)
FACILITY_EAST_BIAS = {"health_station": 1.0, "elderly_care": 2.0, "kindergarten": 1.5,
                      "primary_school": 1.0, "market": 1.5, "fitness": 2.0, "convenience": 2.5}

# --------------------------------------------------------------------------
# names
# --------------------------------------------------------------------------
STREET_NAMES = ["秋浦", "池阳", "里山", "江口", "墩上", "马衙", "梅龙", "清风", "杏花", "百牙",
                "昭明", "九华", "齐山", "长江", "平天", "白洋", "翠微", "湖滨", "站前", "天堂湖",
                "秀山", "牧童", "通远", "石城"]
COMMUNITY_NAMES = ["清溪", "杏花村", "秋浦", "齐山", "长江", "池阳", "平天", "百牙", "昭明", "翠微",
                   "九华", "白洋", "梅龙", "秀山", "湖滨", "东湖", "西门", "南门", "北门", "十字街",
                   "大桥", "永明", "三里", "站前", "新河", "通远", "石城", "牧童", "诗城", "天堂湖",
                   "清风", "明月", "桂花", "梧桐", "银杏", "玉兰", "海棠", "松柏", "荷塘", "凤凰"]
COMMUNITY_VARIANTS = ["", "东", "西", "南", "北", "新", "中", "上", "下"]
AREA_NAMES = [
    "翠微苑", "杏林小区", "秋浦花园", "清溪家园", "齐山名邸", "池阳新村", "长江花园", "百牙小区",
    "昭明苑", "平天湖畔", "九华佳苑", "梅园小区", "桂花园", "兰亭雅苑", "香樟苑", "紫荆花园",
    "锦绣家园", "阳光小区", "幸福里", "和平小区", "建设新村", "人民小区", "五一新村", "新华苑",
    "红旗小区", "东风小区", "朝阳小区", "文化苑", "教育小区", "电力小区", "粮食局宿舍", "供销社小区",
    "烟草小区", "水利小区", "城建小区", "工商小区", "税务小区", "邮电小区", "交通小区", "农行小区",
    "滨江花园", "湖畔人家", "康居小区", "安居苑", "怡景苑", "丽景花园", "金色家园", "碧水苑",
    "青山苑", "白洋苑", "天堂湖小区", "秀山苑", "杏花苑", "牧童小区", "诗城家园", "清风苑",
    "明月小区", "松柏苑", "竹园小区", "荷花塘小区", "梧桐苑", "银杏苑", "玉兰花园", "海棠苑",
    "石城小区", "通远小区", "十字街小区", "西门小区", "南门小区", "北门小区", "大桥小区", "站前小区",
    "永明小区", "三里小区", "新河小区", "老街小区", "茶坊小区", "宝龙苑", "华庭小区", "翡翠城",
    "东湖花园", "西湖小区", "绿地苑", "福苑小区", "瑞景苑", "嘉禾苑", "恒丰小区", "富民小区",
    "振兴小区", "凤凰苑", "龙泉小区", "金鼎苑", "银河小区", "星光小区", "月亮湾小区", "春晖苑",
    "秋实苑", "冬青苑", "夏荷苑", "书香苑", "墨香苑", "丹桂苑", "清荷苑", "景福苑",
]
AREA_PREFIXES = ["翠微", "杏林", "秋浦", "清溪", "齐山", "池阳", "长江", "百牙", "昭明", "平天",
                 "九华", "梅园", "桂花", "兰亭", "香樟", "紫荆", "锦绣", "阳光", "幸福", "和平",
                 "建设", "人民", "新华", "红旗", "东风", "朝阳", "文化", "滨江", "康居", "安居",
                 "怡景", "丽景", "金色", "碧水", "青山", "白洋", "秀山", "杏花", "牧童", "诗城",
                 "清风", "明月", "松柏", "竹园", "梧桐", "银杏", "玉兰", "海棠", "石城", "通远",
                 "永明", "新河", "宝龙", "华庭", "东湖", "西湖", "绿地", "瑞景", "嘉禾", "恒丰",
                 "富民", "振兴", "凤凰", "龙泉", "金鼎", "银河", "星光", "春晖", "书香", "丹桂"]
AREA_SUFFIXES = ["小区", "花园", "家园", "新村", "苑", "佳苑", "雅苑", "名邸", "华庭", "公寓",
                 "嘉园", "里", "东苑", "西苑"]
ORDINALS = ["", "二期", "三期", "四期", "五期", "六期", "七期", "八期", "九期"]
ARTERIAL_NAMES = ["长江南路", "秋浦西路", "池阳路", "翠微路", "百牙中路", "昭明大道", "杏花村路",
                  "清溪大道", "齐山大道", "九华路", "平天湖路", "站前路", "白洋路", "梅龙路"]
LOCAL_NAMES = ["建设路", "人民路", "新华路", "东风路", "和平路", "五一路", "文化路", "湖滨路",
               "青阳巷", "梅园巷", "桂花巷", "石城路", "通远路", "十字街", "西门街", "南门街",
               "大桥路", "茶坊巷", "清风巷", "秀山路", "牧童路", "诗城路", "松柏巷", "竹园路",
               "银杏路", "玉兰路", "永明路", "三里街", "新河路", "黄公路", "贵池路", "丰收路"]
DIAGONAL_NAMES = ["老街", "百牙路", "杏花路", "齐山路", "秋浦路", "江南路"]
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋"
                "蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方邹孟熊秦江檀桂查")
GIVEN = ["建国", "建华", "志强", "志明", "国庆", "海涛", "文军", "红梅", "秀英", "桂兰", "玉兰",
         "春燕", "丽华", "晓峰", "晓燕", "雪梅", "德明", "永红", "立新", "卫东", "国华", "金凤",
         "小平", "海燕", "爱华", "家俊", "子涵", "梓萱", "宇航", "思远", "静", "敏", "伟", "芳",
         "娜", "军", "磊", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "霞", "平", "刚", "琳",
         "斌", "慧", "婷", "鹏", "辉", "玲", "凤英", "长春", "淑珍", "月华", "正宇"]


def _person(rng) -> str:
    return SURNAMES[int(rng.integers(len(SURNAMES)))] + GIVEN[int(rng.integers(len(GIVEN)))]


_PREFIX_SUFFIXES = sorted(set(AREA_SUFFIXES + ["小区", "花园", "家园", "新村", "名邸", "佳苑", "雅苑", "苑",
                                            "园", "宿舍", "人家", "里", "城", "湖畔", "华庭", "公寓"]),
                          key=len, reverse=True)


def _area_prefix(name: str) -> str:
    """'月亮湾小区二期' -> '月亮湾' (used to name nearby facilities)."""
    n = name
    if n.endswith("期"):
        n = n.rstrip("期").rstrip("0123456789二三四五六七八九")
    for suf in _PREFIX_SUFFIXES:
        if n.endswith(suf) and len(n) - len(suf) >= 2:
            return n[: -len(suf)]
    return n[:2]


def _name_pool(base: list[str], n: int, extra) -> list[str]:
    """First the base names, then generated ones; all distinct."""
    out, seen = [], set()
    for nm in itertools.chain(base, extra()):
        if nm not in seen:
            seen.add(nm)
            out.append(nm)
            if len(out) >= n:
                return out
    raise ValueError("name pool too small")


def _area_name_extra():
    for o in ORDINALS:
        for s in AREA_SUFFIXES:
            for p in AREA_PREFIXES:
                yield p + s + o
    for k in range(10, 100000):
        for p in AREA_PREFIXES:
            yield f"{p}小区{k}期"


def _community_name_extra():
    for v in COMMUNITY_VARIANTS[1:]:
        for p in COMMUNITY_NAMES:
            yield p + v
    for k in range(2, 100000):
        for p in COMMUNITY_NAMES:
            yield f"{p}{k}"


def _street_name_extra():
    for v in ["新区", "东", "西", "南", "北"]:
        for p in STREET_NAMES:
            yield p + v
    for k in range(2, 100000):
        for p in STREET_NAMES:
            yield f"{p}{k}"


# --------------------------------------------------------------------------
# small geometry helpers
# --------------------------------------------------------------------------
def _rotate(geom, ang, origin):
    """Rotate a geometry (or array of geometries) by ang radians about origin."""
    ca, sa = math.cos(ang), math.sin(ang)
    ox, oy = origin

    def f(c):
        x, y = c[:, 0] - ox, c[:, 1] - oy
        return np.column_stack([ox + ca * x - sa * y, oy + sa * x + ca * y])
    return shapely.transform(geom, f)


def _polys(geom, min_area=0.0):
    return [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and p.area > min_area]


def _block_axes(poly):
    """(row angle ~ closest to east-west, long-axis angle) of a polygon's min. rotated rect."""
    c = np.asarray(shapely.minimum_rotated_rectangle(poly).exterior.coords)
    e1, e2 = c[1] - c[0], c[2] - c[1]
    angs = []
    for e in (e1, e2):
        a = math.atan2(e[1], e[0])
        while a <= -math.pi / 2:
            a += math.pi
        while a > math.pi / 2:
            a -= math.pi
        angs.append(a)
    row = angs[0] if abs(angs[0]) <= abs(angs[1]) else angs[1]
    long_ = angs[0] if np.hypot(*e1) >= np.hypot(*e2) else angs[1]
    return row, long_


def _densify(pts, step=20.0):
    pts = np.asarray(pts, float)
    out = [pts[0]]
    for a, b in zip(pts[:-1], pts[1:]):
        n = max(1, int(math.ceil(np.hypot(*(b - a)) / step)))
        for k in range(1, n + 1):
            out.append(a + (b - a) * k / n)
    return np.array(out)


def _endpoints(lines):
    s = shapely.get_coordinates(shapely.get_point(lines, 0))
    e = shapely.get_coordinates(shapely.get_point(lines, -1))
    return s, e


def _node_ids(lines):
    s, e = _endpoints(lines)
    n = len(lines)
    nodes, inv = np.unique(np.vstack([s, e]), axis=0, return_inverse=True)
    inv = inv.ravel()
    return nodes, inv[:n], inv[n:]


def _prune_dangles(lines, over_tree=None, tol=1e-3, short=0.5, all_dangles=False):
    """Iteratively remove dangling edges (one end of degree 1) that are
    overshoots (free end in over_tree), shorter than `short`, or any dangle."""
    lines = np.asarray(lines, dtype=object)
    keep = np.ones(len(lines), bool)
    while True:
        idx = np.flatnonzero(keep)
        cur = lines[idx]
        nodes, si, ei = _node_ids(cur)
        deg = np.bincount(np.concatenate([si, ei]), minlength=len(nodes))
        ds, de = deg[si] == 1, deg[ei] == 1
        if all_dangles:
            rem = ds | de
        else:
            ln = shapely.length(cur)
            rem = (ds | de) & (ln < short)
            if over_tree is not None:
                s, e = _endpoints(cur)
                os_ = np.isfinite(over_tree.query(s, distance_upper_bound=tol)[0])
                oe_ = np.isfinite(over_tree.query(e, distance_upper_bound=tol)[0])
                rem |= (ds & os_) | (de & oe_)
        if not rem.any():
            break
        keep[idx[rem]] = False
    return keep


def _contract_short(edges, cls, names, min_len=1.0):
    """Contract non-dangling edges shorter than min_len (noding artefacts)
    by merging their end nodes; returns the new (edges, cls, names)."""
    nodes, si, ei = _node_ids(edges)
    deg = np.bincount(np.concatenate([si, ei]), minlength=len(nodes))
    ln = shapely.length(edges)
    parent = np.arange(len(nodes))

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a
    short = np.flatnonzero((ln < min_len) & (deg[si] > 1) & (deg[ei] > 1))
    if len(short) == 0:
        return edges, cls, names
    for i in short:
        a, b = find(si[i]), find(ei[i])
        if a != b:
            parent[max(a, b)] = min(a, b)
    out, oc, on = [], [], []
    for i, gm in enumerate(edges):
        a, b = find(si[i]), find(ei[i])
        cs = np.asarray(gm.coords).copy()
        cs[0], cs[-1] = nodes[a], nodes[b]
        if a != si[i] or b != ei[i]:
            # drop interior vertices right next to a moved end node
            d0 = np.hypot(*(cs - cs[0]).T)
            d1 = np.hypot(*(cs - cs[-1]).T)
            inner = np.ones(len(cs), bool)
            inner[1:-1] = (d0[1:-1] > min_len) & (d1[1:-1] > min_len)
            cs = cs[inner]
        keep = [0] + [k for k in range(1, len(cs)) if not np.array_equal(cs[k], cs[k - 1])]
        cs = cs[keep]
        if len(cs) < 2 or a == b:      # collapsed edge or loop: drop
            continue
        out.append(LineString(cs))
        oc.append(cls[i])
        on.append(names[i])
    return (np.asarray(out, dtype=object), np.asarray(oc, dtype=object), np.asarray(on, dtype=object))


def _graph(lines):
    nodes, si, ei = _node_ids(lines)
    w = shapely.length(lines)
    n = len(nodes)
    g = coo_matrix((np.concatenate([w, w]), (np.concatenate([si, ei]), np.concatenate([ei, si]))),
                   shape=(n, n)).tocsr()
    return nodes, si, ei, g


# --------------------------------------------------------------------------
# 1. street network and blocks
# --------------------------------------------------------------------------
def _make_warp(rng, W, H):
    th = math.radians(rng.uniform(14, 24))
    comps = []
    for _ in range(2):
        comps.append((rng.uniform(45, 75), rng.uniform(1800, 3200), rng.uniform(0, 2 * math.pi),
                      rng.uniform(-0.5, 0.5)))
    compsy = []
    for _ in range(2):
        compsy.append((rng.uniform(45, 75), rng.uniform(1800, 3200), rng.uniform(0, 2 * math.pi),
                       rng.uniform(-0.5, 0.5)))
    cu, cv = W / 2, H / 2
    ct, st = math.cos(th), math.sin(th)

    def warp(uv):
        uv = np.asarray(uv, float)
        u, v = uv[:, 0], uv[:, 1]
        dx = sum(a * np.sin(2 * np.pi * (v + m * u) / lam + ph) for a, lam, ph, m in comps)
        dy = sum(a * np.sin(2 * np.pi * (u + m * v) / lam + ph) for a, lam, ph, m in compsy)
        x, y = u + dx - cu, v + dy - cv
        return np.column_stack([X0 + ct * x - st * y, Y0 + st * x + ct * y])
    return warp


def _positions(rng, L, mean_sp):
    pos = [0.0]
    while True:
        nxt = pos[-1] + rng.uniform(0.72, 1.28) * mean_sp
        if nxt > L - 0.6 * mean_sp:
            break
        pos.append(nxt)
    pos.append(L)
    return pos


def _road_lines(rng, scale):
    s = math.sqrt(scale)
    W, H = 2600.0 * s, 1900.0 * s
    warp = _make_warp(rng, W, H)
    us = _positions(rng, W, 265.0)
    vs = _positions(rng, H, 245.0)
    art_u = {0, len(us) - 1} | {i for i in range(len(us)) if i % 3 == 0}
    art_v = {0, len(vs) - 1} | {i for i in range(len(vs)) if i % 3 == 1}
    ov = 40.0
    src = []   # (coords in uv, class, name)
    an = iter(ARTERIAL_NAMES * 100)
    ln_pool = list(LOCAL_NAMES)
    order = rng.permutation(len(ln_pool))
    lnames = iter([ln_pool[i] for i in order] * 1000)
    for fam, poss, arts, L2 in (("u", us, art_u, H), ("v", vs, art_v, W)):
        for i, p in enumerate(poss):
            if i in arts:
                cls = "primary" if (i % 6 == 0 and 0 < i < len(poss) - 1) or rng.random() < 0.15 else "secondary"
                amp, name = rng.uniform(0, 6), next(an)
            else:
                cls = "tertiary" if rng.random() < 0.35 else "residential"
                amp = rng.uniform(3, 14)
                name = next(lnames) if (cls == "tertiary" or rng.random() < 0.6) else None
            lam, ph = rng.uniform(500, 1400), rng.uniform(0, 2 * math.pi)
            t = np.arange(-ov, L2 + ov + 1e-9, 20.0)
            off = p + amp * np.sin(2 * np.pi * t / lam + ph) * (0 < i < len(poss) - 1)
            uv = np.column_stack([off, t]) if fam == "u" else np.column_stack([t, off])
            src.append((uv, cls, name))
    # diagonal and bent roads
    n_diag = max(2, int(round(2 * s)))
    for k in range(n_diag):
        for _try in range(100):
            a = np.array([rng.uniform(0, W), rng.uniform(0, H)])
            ang = rng.uniform(math.radians(28), math.radians(62)) * (1 if rng.random() < 0.5 else -1)
            d = np.array([math.cos(ang), math.sin(ang)])
            # extend to the domain border (+ overshoot)
            ts = []
            for sgn in (1, -1):
                tt = 0.0
                while True:
                    q = a + sgn * (tt + 20) * d
                    if not (-ov < q[0] < W + ov and -ov < q[1] < H + ov):
                        break
                    tt += 20
                ts.append(sgn * tt)
            length = ts[0] - ts[1]
            if length > 0.6 * min(W, H):
                break
        p0, p1 = a + ts[1] * d, a + ts[0] * d
        bend = rng.uniform(-0.12, 0.12) * length if k % 2 else 0.0
        nrm = np.array([-d[1], d[0]])
        t = np.linspace(0, 1, max(3, int(length // 20)))
        uv = p0[None] + (p1 - p0)[None] * t[:, None] + nrm[None] * (bend * 4 * t * (1 - t))[:, None]
        keep = (uv[:, 0] > -ov) & (uv[:, 0] < W + ov) & (uv[:, 1] > -ov) & (uv[:, 1] < H + ov)
        uv = uv[keep]
        if len(uv) >= 2:
            src.append((uv, "secondary" if k % 2 == 0 else "tertiary", DIAGONAL_NAMES[k % len(DIAGONAL_NAMES)]))
    lines = [(LineString(warp(_densify(uv, 20.0))), cls, name) for uv, cls, name in src]
    # a cut-off corner (river bank / hills) in the north-west
    cu_, cv_ = 0.34 * W, 0.38 * H
    t = np.linspace(0, 1, 40)
    curve = np.column_stack([cu_ * t, H - cv_ * (1 - t) ** 1.3])
    cut_uv = np.vstack([[-3 * ov, H + 3 * ov], [-3 * ov, H - cv_], curve, [cu_, H + 3 * ov]])
    cut = Polygon(warp(cut_uv)).buffer(0)
    return lines, cut, warp, (W, H)


def _node_and_attr(lines):
    """Node source lines; return segments, class and name arrays."""
    geoms = [g for g, _, _ in lines]
    segs = shapely.get_parts(shapely.union_all(geoms))
    mids = shapely.line_interpolate_point(segs, 0.5, normalized=True)
    tree = STRtree(geoms)
    si, gi = tree.query(mids, predicate="dwithin", distance=1e-6)
    best = np.full(len(segs), -1)
    for a, b in zip(si, gi):
        if best[a] < 0 or RANK[lines[b][1]] < RANK[lines[best[a]][1]] or (
                RANK[lines[b][1]] == RANK[lines[best[a]][1]] and b < best[a]):
            best[a] = b
    assert (best >= 0).all()
    cls = np.array([lines[b][1] for b in best], dtype=object)
    names = np.array([lines[b][2] for b in best], dtype=object)
    return np.asarray(segs, dtype=object), cls, names


def _incidence(segs, blocks):
    mids = shapely.line_interpolate_point(segs, 0.5, normalized=True)
    tree = STRtree(shapely.boundary(blocks))
    si, bi = tree.query(mids, predicate="dwithin", distance=1e-6)
    return si, bi


def _build_blocks(rng, scale):
    lines, cut, warp, WH = _road_lines(rng, scale)
    segs, cls, names = _node_and_attr(lines)
    keep = _prune_dangles(segs, all_dangles=True)
    segs, cls, names = segs[keep], cls[keep], names[keep]
    blocks = np.asarray(shapely.get_parts(shapely.polygonize(list(segs))), dtype=object)
    # drop the cut-off corner
    rp = shapely.point_on_surface(blocks)
    blocks = blocks[~shapely.within(rp, cut)]
    si, bi = _incidence(segs, blocks)
    used = np.zeros(len(segs), bool)
    used[si] = True
    segs, cls, names = segs[used], cls[used], names[used]

    # a river bank along the south-east: drop blocks south of a wavy curve
    W, H = WH
    uu = np.linspace(-200, W + 200, 120)
    vv = 0.10 * H + 0.09 * H * np.sin(2 * np.pi * uu / (0.9 * W) + rng.uniform(0, 2 * np.pi)) \
        + 0.10 * H * (uu / W)
    river = Polygon(warp(np.vstack([np.column_stack([uu, vv]), [[W + 200, -500], [-200, -500]]]))).buffer(0)
    blocks = np.asarray(shapely.get_parts(shapely.polygonize(list(segs))), dtype=object)
    rp = shapely.point_on_surface(blocks)
    keepb = ~shapely.within(rp, river)
    if shapely.union_all(list(blocks[keepb])).geom_type == "Polygon":
        si, bi = _incidence(segs, blocks[keepb])
        used = np.zeros(len(segs), bool)
        used[si] = True
        segs, cls, names = segs[used], cls[used], names[used]

    min_area, max_merge = 22000.0, 120000.0
    for it in range(30):
        blocks = np.asarray(shapely.get_parts(shapely.polygonize(list(segs))), dtype=object)
        areas = shapely.area(blocks)
        si, bi = _incidence(segs, blocks)
        pairs: dict[tuple[int, int], list[int]] = {}
        seg_bl: dict[int, list[int]] = {}
        for a, b in zip(si, bi):
            seg_bl.setdefault(int(a), []).append(int(b))
        for sidx in sorted(seg_bl):
            bl = seg_bl[sidx]
            if len(bl) == 2:
                pairs.setdefault((min(bl), max(bl)), []).append(sidx)
        nbrs: dict[int, list[int]] = {}
        for (a, b) in pairs:
            nbrs.setdefault(a, []).append(b)
            nbrs.setdefault(b, []).append(a)
        remove, usedb = set(), set()
        seglen = shapely.length(segs)
        for b in np.argsort(areas, kind="stable"):
            b = int(b)
            if areas[b] >= min_area:
                break
            if b in usedb:
                continue
            best, bestv = None, -1.0
            for n in sorted(nbrs.get(b, [])):
                if n in usedb:
                    continue
                ss = pairs[(min(b, n), max(b, n))]
                prim = all(cls[i] == "primary" or names[i] in DIAGONAL_NAMES for i in ss)
                v = sum(seglen[i] for i in ss) * (0.2 if prim else 1.0)
                if v > bestv:
                    best, bestv = n, v
            if best is not None:
                usedb |= {b, best}
                remove |= set(pairs[(min(b, best), max(b, best))])
        if it == 0:
            for (a, b) in sorted(pairs):
                ss = pairs[(a, b)]
                if a in usedb or b in usedb or areas[a] + areas[b] > max_merge:
                    continue
                if all(cls[i] == "residential" for i in ss) and rng.random() < 0.14:
                    usedb |= {a, b}
                    remove |= set(ss)
        if not remove:
            break
        keep = np.array([i not in remove for i in range(len(segs))])
        segs, cls, names = segs[keep], cls[keep], names[keep]
        keep = _prune_dangles(segs, all_dangles=True)
        segs, cls, names = segs[keep], cls[keep], names[keep]
    blocks = np.asarray(shapely.get_parts(shapely.polygonize(list(segs))), dtype=object)
    return segs, cls, names, blocks


# --------------------------------------------------------------------------
# 2. hierarchy by region growing
# --------------------------------------------------------------------------
def _partition(ids, cent, areas, nbrs, k, rng):
    """Split block ids (a connected set) into k contiguous, area-balanced groups."""
    ids = list(ids)
    if k >= len(ids):
        return [[i] for i in ids]
    pts = cent[ids]
    w = areas[ids]
    # k-means++-like init then Lloyd iterations (area weighted)
    centres = [pts[int(rng.integers(len(ids)))]]
    for _ in range(k - 1):
        d = np.min(np.linalg.norm(pts[:, None] - np.array(centres)[None], axis=2), axis=1)
        centres.append(pts[int(np.argmax(d))])
    centres = np.array(centres)
    for _ in range(15):
        lab = np.argmin(np.linalg.norm(pts[:, None] - centres[None], axis=2), axis=1)
        for j in range(k):
            m = lab == j
            if m.any():
                centres[j] = (pts[m] * w[m, None]).sum(0) / w[m].sum()
    idset = set(ids)
    seeds = []
    for j in range(k):
        order = np.argsort(np.linalg.norm(pts - centres[j], axis=1), kind="stable")
        for o in order:
            if ids[o] not in seeds:
                seeds.append(ids[o])
                break
    owner = {s: j for j, s in enumerate(seeds)}
    tot = np.array([areas[s] for s in seeds], float)
    while len(owner) < len(ids):
        progressed = False
        for j in np.argsort(tot, kind="stable"):
            front = sorted({n for b, o in owner.items() if o == j for n in nbrs.get(b, [])
                            if n in idset and n not in owner})
            if not front:
                continue
            d = [np.linalg.norm(cent[f] - centres[j]) for f in front]
            f = front[int(np.argmin(d))]
            owner[f] = int(j)
            tot[j] += areas[f]
            progressed = True
            break
        if not progressed:   # disconnected leftovers: attach to nearest group
            for b in ids:
                if b not in owner:
                    j = int(np.argmin(np.linalg.norm(centres - cent[b], axis=1)))
                    owner[b] = j
    groups = [[b for b in ids if owner[b] == j] for j in range(k)]
    return [g for g in groups if g]


# --------------------------------------------------------------------------
# 3./4. residential areas, building layout
# --------------------------------------------------------------------------
def _row_spec(atype, rng, prev):
    r = rng.random()
    if atype == "new":
        if r < 0.45:
            L = rng.uniform(22, 27)
            return dict(kind="tower", L=L, D=rng.uniform(19, 23), side=rng.uniform(15, 22),
                        gap=rng.uniform(30, 38), floors=(11, 26))
        return dict(kind="slab", L=float(rng.choice([48, 54, 60, 66])), D=12.5,
                    side=rng.uniform(12, 16), gap=rng.uniform(26, 30), floors=(6, 11))
    if atype == "old":
        if r < 0.03:
            S = rng.uniform(32, 40)
            return dict(kind="courtyard", L=S, D=S, side=rng.uniform(10, 14), gap=rng.uniform(14, 18),
                        floors=(2, 4))
        return dict(kind="slab", L=float(rng.choice([36, 42, 48, 54, 60])), D=rng.uniform(10.5, 12),
                    side=rng.uniform(8, 12), gap=rng.uniform(18, 22), floors=(4, 7))
    if atype == "mixed":
        if prev is not None and prev["kind"] == "low" or (prev is None and r < 0.5):
            return dict(kind="slab", L=float(rng.choice([36, 42, 48, 60])), D=rng.uniform(10.5, 12),
                        side=rng.uniform(8, 12), gap=rng.uniform(18, 22), floors=(4, 6))
        return dict(kind="low", L=rng.uniform(13, 17), D=rng.uniform(9, 11), side=rng.uniform(3.5, 6),
                    gap=rng.uniform(9, 12), floors=(2, 4))
    # village / old houses
    if r < 0.05:
        S = rng.uniform(30, 36)
        return dict(kind="courtyard", L=S, D=S, side=rng.uniform(8, 10), gap=rng.uniform(10, 12),
                    floors=(2, 3))
    return dict(kind="low", L=rng.uniform(12, 16), D=rng.uniform(9, 11), side=rng.uniform(3.5, 7),
                gap=rng.uniform(9, 12), floors=(2, 4))


def _layout_area(A, block, theta, atype, rng, corner_tree):
    """Lay out buildings and internal paths of one residential area (UTM).

    Returns (buildings, lines, overshoot_points): buildings as list of dicts
    with 'geom','kind','floors','row'; lines as (LineString, highway)."""
    c = (A.centroid.x, A.centroid.y)
    Al = _rotate(A, -theta, c)
    Bl = _rotate(block, -theta, c)
    blds, lines, over = [], [], []
    inner = Al.buffer(-6.5, join_style="mitre")
    ringp = MultiPolygon(_polys(Al.buffer(-4.0, join_style="mitre").simplify(0.3), 150.0))
    if inner.is_empty or inner.area < 200 or ringp.is_empty:
        return blds, lines, over
    shapely.prepare(inner)
    minx, miny, maxx, maxy = inner.bounds
    rows, v, prev = [], miny, None
    while True:
        sp = _row_spec(atype, rng, prev)
        if v + sp["D"] > maxy:
            break
        rows.append([v, sp])
        prev = sp
        v += sp["D"] + sp["gap"]
    if rows:
        used = rows[-1][0] + rows[-1][1]["D"] - miny
        off = (maxy - miny - used) / 2
        for r in rows:
            r[0] += off
    for ri, (v, sp) in enumerate(rows):
        L, D = sp["L"], sp["D"]
        xs = np.arange(minx, maxx - L + 1e-9, 1.0)
        if len(xs) == 0:
            continue
        ok = shapely.contains(inner, shapely.box(xs, v, xs + L, v + D))
        xnext = -1e18
        fl = int(rng.integers(sp["floors"][0], sp["floors"][1] + 1))
        for i in np.flatnonzero(ok):
            x = xs[i]
            if x < xnext:
                continue
            if sp["kind"] == "courtyard":
                t = 10.0
                g = Polygon([(x, v), (x + L, v), (x + L, v + D), (x, v + D)],
                            [[(x + t, v + t), (x + t, v + D - t), (x + L - t, v + D - t), (x + L - t, v + t)]])
            else:
                g = box(x, v, x + L, v + D)
            f = fl
            if sp["kind"] in ("low", "courtyard") and rng.random() < 0.3:
                f = max(1, fl + int(rng.choice([-1, 1])))
            blds.append(dict(geom=g, kind=sp["kind"], floors=f, row=ri, door=(x + L / 2, v - 0.5)))
            xnext = x + L + sp["side"]
    # internal paths: ring road, paths between rows
    path_geoms = []
    clipper = Al.buffer(-3.0, join_style="mitre")
    for ri in range(len(rows) - 1):
        vp = (rows[ri][0] + rows[ri][1]["D"] + rows[ri + 1][0]) / 2
        ln = LineString([(minx - 40, vp), (maxx + 40, vp)]).intersection(clipper)
        for piece in shapely.get_parts(ln):
            if piece.geom_type == "LineString" and piece.length > 5:
                lines.append((piece, "footway"))
                path_geoms.append(piece)
                over += [piece.coords[0], piece.coords[-1]]
    rings = [p.exterior for p in ringp.geoms]
    for r in rings:
        lines.append((LineString(r.coords), "service"))
        path_geoms.append(r)
    allb = shapely.union_all([b["geom"] for b in blds]) if blds else None
    # entrance stubs
    if blds:
        pu = shapely.union_all(path_geoms)
        doors = shapely.points(np.array([b["door"] for b in blds]))
        sl = shapely.shortest_line(doors, pu)
        for b, s in zip(blds, sl):
            p0, p1 = np.array(s.coords[0]), np.array(s.coords[-1])
            d = p1 - p0
            n = np.hypot(*d)
            if n < 0.5 or n > 40:
                continue
            p2 = p1 + d / n * 1.0
            st = LineString([p0, p2])
            if allb is not None and st.intersection(allb).length > 0.01:
                continue
            lines.append((st, "footway"))
            over.append(tuple(p2))
    # gates from the ring to the surrounding streets
    ext = Bl.exterior
    dd = np.arange(0, ext.length, 8.0)
    cand = shapely.line_interpolate_point(ext, dd)
    cxy = shapely.get_coordinates(cand)
    if corner_tree is not None and len(cxy):
        cw = _rotate(shapely.points(cxy), theta, c)
        dist_c, _ = corner_tree.query(shapely.get_coordinates(cw))
        far = dist_c > 25.0
    else:
        far = np.ones(len(cxy), bool)
    for ri_, r in enumerate(ringp.geoms):
        dist = shapely.distance(cand, r)
        ok = np.flatnonzero((dist < 19.0) & far)
        if len(ok) == 0:
            continue
        ngate = min(len(ok), 1 + int(r.exterior.length // 450), 3)
        chosen = [ok[int(rng.integers(len(ok)))]]
        while len(chosen) < ngate:
            dmin = np.min(np.linalg.norm(cxy[ok][:, None] - cxy[chosen][None], axis=2), axis=1)
            chosen.append(ok[int(np.argmax(dmin))])
        for gi, ci in enumerate(chosen):
            T = np.array(cxy[ci])
            P = np.array(r.exterior.interpolate(r.exterior.project(Point(T))).coords[0])
            d = T - P
            n = np.hypot(*d)
            if n < 1:
                continue
            d /= n
            g = LineString([P - d * 1.0, T + d * 2.0])
            if allb is not None and g.intersects(allb):
                continue
            lines.append((g, "service" if gi == 0 else "footway"))
            over += [tuple(P - d * 1.0), tuple(T + d * 2.0)]
    # rotate everything back
    for b in blds:
        b["geom"] = _rotate(b["geom"], theta, c)
    lines = [(_rotate(g, theta, c), h) for g, h in lines]
    if over:
        over = [tuple(p) for p in shapely.get_coordinates(_rotate(shapely.points(np.array(over)), theta, c))]
    return blds, lines, over


def _cross_lines(block, theta, n, rng, wiggle=0.0):
    """Lines across a block (through its centroid), overshooting the block
    boundary by 2 m; returns (lines, overshoot points)."""
    c = block.centroid
    out, over = [], []
    R = math.sqrt(block.area) * 3
    clip = block.buffer(2.0, join_style="mitre")
    for k in range(n):
        a = theta + k * math.pi / 2 + (rng.uniform(-0.3, 0.3) if wiggle else 0.0)
        t = np.linspace(-R, R, 80)
        w = wiggle * np.sin(t / 60.0 + rng.uniform(0, 6.28))
        xy = np.column_stack([c.x + t * math.cos(a) - w * math.sin(a), c.y + t * math.sin(a) + w * math.cos(a)])
        ln = LineString(xy).intersection(clip)
        for p in shapely.get_parts(ln):
            if p.geom_type == "LineString" and p.length > 10:
                out.append(p)
                over += [p.coords[0], p.coords[-1]]
    return out, over


def _shops(blockA, rng, target, avoid=None):
    """Street-side shops / old houses along the edge of a non-residential block."""
    out = []
    ring = blockA.buffer(-3.0, join_style="mitre")
    parts = _polys(ring, 500)
    if not parts:
        return out
    ext = parts[0].exterior
    if not ext.is_ccw:
        ext = LineString(list(ext.coords)[::-1])
    placed = []
    d = rng.uniform(0, 10)
    spacing = max(3.0, ext.length / max(1, target) - 16.0)
    within = blockA.buffer(-2.5, join_style="mitre")
    if avoid is not None:
        within = within.difference(avoid)
    while d < ext.length - 20 and len(out) < target:
        L, D = rng.uniform(10, 16), rng.uniform(8, 11)
        p0 = np.array(ext.interpolate(d).coords[0])
        p1 = np.array(ext.interpolate(d + L).coords[0])
        t = p1 - p0
        if np.hypot(*t) < L * 0.98:   # corner
            d += 6
            continue
        t /= np.hypot(*t)
        nrm = np.array([-t[1], t[0]])   # interior is on the left of a ccw ring
        g = Polygon([p0, p0 + t * L, p0 + t * L + nrm * D, p0 + nrm * D])
        if g.within(within) and not any(g.distance(q) < 2.0 for q in placed):
            placed.append(g)
            out.append(g)
            d += L + spacing * rng.uniform(0.6, 1.4)
        else:
            d += 4
    return out


# --------------------------------------------------------------------------
# output helpers
# --------------------------------------------------------------------------
def _r7(v):
    return round(float(v), 7)


def _ring_ll(coords):
    out = []
    for x, y in coords:
        p = [_r7(x), _r7(y)]
        if not out or out[-1] != p:
            out.append(p)
    return out


def _to_ll(geom):
    return shapely.transform(geom, lambda c: np.column_stack(_TO_WGS.transform(c[:, 0], c[:, 1])))


def _mpoly(geom):
    geom = shapely.orient_polygons(geom, exterior_cw=False)
    g = _to_ll(geom)
    return {"type": "MultiPolygon",
            "coordinates": [[_ring_ll(p.exterior.coords)] + [_ring_ll(i.coords) for i in p.interiors]
                            for p in _polys(g)]}


def _feature(props, geom):
    return {"type": "Feature", "properties": props, "geometry": geom}


def _fc(features):
    return {"type": "FeatureCollection", "features": features}


# --------------------------------------------------------------------------
# main generator
# --------------------------------------------------------------------------
def generate(seed: int = 7, scale: float = 1.0, verbose: bool = False) -> dict[str, dict]:
    """Generate all layers; returns {layer name: GeoJSON FeatureCollection dict}."""
    t0 = time.time()

    def log(msg):
        if verbose:
            print(f"[{time.time() - t0:6.1f}s] {msg}", file=sys.stderr)

    rng = np.random.default_rng(seed)
    segs, scls, snames, blocks = _build_blocks(rng, scale)
    nb = len(blocks)
    log(f"{len(segs)} road segments, {nb} blocks")
    areas = shapely.area(blocks)
    cent = shapely.get_coordinates(shapely.point_on_surface(blocks))
    si, bi = _incidence(segs, blocks)
    seg_bl: dict[int, list[int]] = {}
    for a, b in zip(si, bi):
        seg_bl.setdefault(int(a), []).append(int(b))
    nbrs: dict[int, list[int]] = {i: [] for i in range(nb)}
    for sidx in sorted(seg_bl):
        bl = seg_bl[sidx]
        if len(bl) == 2 and bl[1] not in nbrs[bl[0]]:
            nbrs[bl[0]].append(bl[1])
            nbrs[bl[1]].append(bl[0])
    block_segs: dict[int, list[int]] = {i: [] for i in range(nb)}
    for a, b in zip(si, bi):
        block_segs[int(b)].append(int(a))
    allx = cent[:, 0]
    xmin, xmax = float(allx.min()), float(allx.max())
    xn = (allx - xmin) / (xmax - xmin)

    # ---------------- hierarchy
    n_comm = max(1, int(round(6 * scale)))
    n_street = max(1, int(round(n_comm / 8)))
    street_groups = _partition(range(nb), cent, areas, nbrs, n_street, rng)
    street_groups.sort(key=lambda g: (float(np.mean(cent[g, 0])), float(np.mean(cent[g, 1]))))
    street_names = _name_pool([n + "街道" for n in STREET_NAMES], len(street_groups),
                              lambda: (n + "街道" for n in _street_name_extra()))
    comm_total = 0
    comm_groups_all = []
    for si_, sg in enumerate(street_groups):
        k = max(1, int(round(n_comm * len(sg) / nb)))
        cg = _partition(sg, cent, areas, nbrs, k, rng)
        # west -> east, north -> south within the street
        cg.sort(key=lambda g: (round(float(np.mean(cent[g, 0])) / 400), -float(np.mean(cent[g, 1]))))
        comm_groups_all.append(cg)
        comm_total += len(cg)
    comm_names = _name_pool([n + "社区" for n in COMMUNITY_NAMES], comm_total,
                            lambda: (n + "社区" for n in _community_name_extra()))
    area_name_pool = _name_pool(AREA_NAMES, max(200, int(150 * scale) + 200),
                                _area_name_extra)
    area_name_order = [area_name_pool[i] for i in rng.permutation(len(AREA_NAMES))] + \
        area_name_pool[len(AREA_NAMES):]
    area_name_iter = iter(area_name_order)

    streets, comms, grids = [], [], []
    block_comm = np.zeros(nb, int)
    block_grid = np.zeros(nb, int)
    ci_global = 0
    for si_, (sg, cgs) in enumerate(zip(street_groups, comm_groups_all)):
        scode = f"{DISTRICT_CODE}{si_ + 1:03d}"
        comm_polys = []
        for cj, cg in enumerate(cgs):
            ccode = f"{scode}{cj + 1:03d}"
            cname = comm_names[ci_global]
            k = int(rng.integers(4, 7))
            gg = _partition(cg, cent, areas, nbrs, min(k, len(cg)), rng)
            gg.sort(key=lambda g: (-round(float(np.mean(cent[g, 1])) / 250), float(np.mean(cent[g, 0]))))
            gpolys = []
            for gk, g in enumerate(gg):
                gp = shapely.union_all(list(blocks[g]))
                gpolys.append(gp)
                block_comm[g] = len(comms)
                block_grid[g] = len(grids)
                nw = int(rng.integers(2, 4))
                grids.append(dict(code=f"{ccode}{gk + 1:03d}", name=f"{cname}第{gk + 1}网格",
                                  community_code=ccode,
                                  workers="、".join(_person(rng) for _ in range(nw)), geom=gp))
            cp = shapely.union_all(gpolys)
            comm_polys.append(cp)
            comms.append(dict(code=ccode, name=cname, street_code=scode, geom=cp,
                              rate=float(rng.uniform(0.006, 0.03)), secretary=_person(rng)))
            ci_global += 1
        streets.append(dict(code=scode, name=street_names[si_], geom=shapely.union_all(comm_polys)))
    log(f"{len(streets)} streets, {len(comms)} communities, {len(grids)} grids")

    # ---------------- road reserve, block usage
    seg_hw = np.array([ROAD_HW[c] for c in scls])
    nodes, s_i, e_i = _node_ids(segs)
    deg = np.bincount(np.concatenate([s_i, e_i]), minlength=len(nodes))
    corner_tree = cKDTree(nodes[deg >= 3])

    def block_area_net(b):
        ss = block_segs[b]
        buf = shapely.union_all(shapely.buffer(segs[ss], seg_hw[ss], quad_segs=3))
        g = blocks[b].difference(buf)
        return MultiPolygon(_polys(g, 300.0))

    kinds = np.array(["residential"] * nb, dtype=object)
    n_park = max(2, int(round(0.03 * nb)))
    n_school = max(3, int(round(0.04 * nb)))
    n_comm_blk = max(2, int(round(0.035 * nb)))
    order = list(rng.permutation(nb))
    big = [b for b in order if areas[b] > 30000]
    mid = [b for b in order if 25000 < areas[b] < 65000]
    if len(mid) < n_comm_blk:
        mid = big
    # commercial (street-side shops, old houses): mid-sized central-ish blocks
    w_c = np.array([math.exp(-((xn[b] - 0.5) ** 2) / 0.08) + 0.05 for b in mid])
    for b in rng.choice(mid, size=min(n_comm_blk, len(mid)), replace=False, p=w_c / w_c.sum()):
        kinds[b] = "commercial"
    rest = [b for b in big if kinds[b] == "residential"]
    for b in rest[:n_park]:
        kinds[b] = "park"
    rest = [b for b in rest if kinds[b] == "residential"]
    w_s = np.array([0.3 + xn[b] for b in rest])
    for b in rng.choice(rest, size=min(n_school, len(rest)), replace=False, p=w_s / w_s.sum()):
        kinds[b] = "school"
    log(f"block kinds: {dict(zip(*np.unique(kinds.astype(str), return_counts=True)))}")

    # ---------------- residential areas, buildings, internal paths
    net_lines = [(g, c, n) for g, c, n in zip(segs, scls, snames)]
    over_pts: list[tuple] = []
    res_areas, buildings = [], []
    comm_area_count = np.zeros(len(comms), int)
    nonres = []   # (block, blockA)
    for b in range(nb):
        Bk = blocks[b]
        BA = block_area_net(b)
        if BA.is_empty:
            continue
        theta, longa = _block_axes(Bk)
        if kinds[b] != "residential":
            ls = []
            if kinds[b] == "park":
                ls, ov = _cross_lines(Bk, theta, 2, rng, wiggle=12.0)
                net_lines += [(g, "path", None) for g in ls]
                over_pts += ov
            elif kinds[b] == "commercial":   # a pedestrian lane through the block
                ls, ov = _cross_lines(Bk, longa, 1, rng)
                net_lines += [(g, "footway", None) for g in ls]
                over_pts += ov
            nonres.append((b, BA, ls))
            continue
        # split some blocks into two areas along the short axis (with a lane)
        parts = [BA]
        rr = shapely.minimum_rotated_rectangle(Bk)
        cc = np.asarray(rr.exterior.coords)
        e1, e2 = np.hypot(*(cc[1] - cc[0])), np.hypot(*(cc[2] - cc[1]))
        if BA.area > 38000 and max(e1, e2) / min(e1, e2) > 1.25 and rng.random() < 0.5:
            c0 = BA.centroid
            BAl = _rotate(BA, -longa, (c0.x, c0.y))
            x0, y0, x1, y1 = BAl.bounds
            cx = c0.x + rng.uniform(-0.1, 0.1) * (x1 - x0)
            halves = [BAl.intersection(box(x0 - 10, y0 - 10, cx - 3, y1 + 10)),
                      BAl.intersection(box(cx + 3, y0 - 10, x1 + 10, y1 + 10))]
            halves = [MultiPolygon(_polys(_rotate(h, longa, (c0.x, c0.y)), 800.0)) for h in halves]
            if all(h.area > 0.3 * BA.area for h in halves):
                parts = halves
                lane = LineString([(cx, y0 - 500), (cx, y1 + 500)])
                lane = _rotate(lane, longa, (c0.x, c0.y)).intersection(Bk.buffer(2.0, join_style="mitre"))
                for p in shapely.get_parts(lane):
                    if p.geom_type == "LineString" and p.length > 10:
                        net_lines.append((p, "path", None))
                        over_pts += [p.coords[0], p.coords[-1]]
        for A in parts:
            xa = min(1.0, max(0.0, (A.centroid.x - xmin) / (xmax - xmin)))
            p = np.array([0.08 + 0.55 * xa, 0.40 - 0.15 * xa, 0.45 * (1 - xa), max(0.0, 0.30 - 0.5 * xa)])
            atype = ["new", "old", "mixed", "village"][int(rng.choice(4, p=p / p.sum()))]
            A = MultiPolygon(_polys(shapely.make_valid(A.simplify(0.3)), 800.0))
            blds, lines, ov = _layout_area(A, Bk, theta, atype, rng, corner_tree)
            ci = int(block_comm[b])
            comm_area_count[ci] += 1
            acode = f"{comms[ci]['code']}R{comm_area_count[ci]:03d}"
            aname = next(area_name_iter)
            res_areas.append(dict(code=acode, name=aname, community=ci, geom=A, atype=atype,
                                  block=b, blds=blds))
            net_lines += [(g, h, None) for g, h in lines]
            over_pts += ov
    log(f"{len(res_areas)} residential areas")

    # ---------------- building attributes
    UNIT = {"slab": 98.0, "tower": 108.0, "low": 115.0, "courtyard": 100.0, "shop": 120.0}
    for ra in res_areas:
        occ, hh = rng.uniform(0.52, 0.74), rng.uniform(2.3, 2.8)
        # building numbering: rows from south to north... local row order, west to east
        for k, bd in enumerate(ra["blds"]):
            fp = bd["geom"].area
            house = max(1, int(round(fp * bd["floors"] * 0.78 / UNIT[bd["kind"]])))
            res = max(1, int(round(house * rng.uniform(occ - 0.08, occ + 0.08) * hh)))
            buildings.append(dict(code=f"{ra['code']}B{k + 1:03d}", name=f"{k + 1}栋",
                                  community=ra["community"], area=ra, geom=bd["geom"],
                                  floors=int(bd["floors"]), households=house, residents=res,
                                  kind=bd["kind"]))
    n_res_b = len(buildings)
    # street-side shops / old houses outside residential areas (~1.5 %)
    target = max(10, int(round(0.015 * n_res_b)))
    com_blocks = [(b, BA, ls) for b, BA, ls in nonres if kinds[b] == "commercial"]
    seg_tree = STRtree(segs)
    comm_out_count = np.zeros(len(comms), int)
    named_no = {}
    for j, (b, BA, ls) in enumerate(com_blocks):
        tj = target // len(com_blocks) + (1 if j < target % len(com_blocks) else 0)
        for g in _shops(BA, rng, tj, shapely.union_all([x.buffer(5.0) for x in ls]) if ls else None):
            ci = int(block_comm[b])
            comm_out_count[ci] += 1
            near = seg_tree.nearest(g.centroid)
            rn = snames[near]
            if rn:
                named_no[rn] = named_no.get(rn, 0) + 1
                nm = f"{rn}{named_no[rn]}号"
            else:
                nm = f"{comm_out_count[ci]}栋"
            fl = int(rng.integers(1, 4))
            house = max(1, int(round(g.area * fl * 0.78 / UNIT["shop"])))
            res = max(1, int(round(house * rng.uniform(1.5, 2.8))))
            buildings.append(dict(code=f"{comms[ci]['code']}B{comm_out_count[ci]:03d}", name=nm,
                                  community=ci, area=None, geom=g, floors=fl, households=house,
                                  residents=res, kind="shop"))
    log(f"{len(buildings)} buildings ({len(buildings) - n_res_b} outside residential areas)")

    # ---------------- party organisations
    for c in comms:
        c["members"] = 0
    by_area: dict[int, list] = {}
    for bd in buildings:
        if bd["area"] is not None:
            by_area.setdefault(id(bd["area"]), []).append(bd)
    for ra in res_areas:
        bl = by_area.get(id(ra), [])
        rate = comms[ra["community"]]["rate"]
        res_tot = sum(b["residents"] for b in bl)
        ngrp = int(round(0.3 * len(bl)))
        if bl and ngrp:
            w = np.array([b["residents"] for b in bl], float) + 5.0
            pick = set(int(i) for i in rng.choice(len(bl), size=ngrp, replace=False, p=w / w.sum()))
        else:
            pick = set()
        gsum = 0
        for i, bd in enumerate(bl):
            if i in pick:
                m = int(np.clip(round(bd["residents"] * rate * rng.uniform(1.0, 2.0)), 3, 15))
                bd["party"] = dict(kind="党小组", name=f"{ra['name']}{bd['name']}党小组",
                                   secretary=_person(rng), members=m)
                gsum += m
        ra["party"] = dict(kind="党支部", name=f"{ra['name']}党支部", secretary=_person(rng),
                           members=max(3, gsum + int(rng.integers(2, 9)), int(round(res_tot * rate))))
        comms[ra["community"]]["members"] += ra["party"]["members"]
    for c in comms:
        c["members"] += int(rng.integers(8, 40))
        log(f"{c['name']}: {c['members']} party members")
        # larger community party organisations are 党委, smaller ones 党总支
        c["kind"] = "党委" if c["members"] >= 400 else "党总支"

    # ---------------- network: node everything
    log(f"noding {len(net_lines)} lines")
    all_src = [(g, h, n) for g, h, n in net_lines]
    edges, ecls, enames = _node_and_attr(all_src)
    over_tree = cKDTree(np.array(over_pts)) if over_pts else None
    keep = _prune_dangles(edges, over_tree=over_tree, tol=1e-3, short=0.5)
    edges, ecls, enames = edges[keep], ecls[keep], enames[keep]
    n0 = len(edges)
    edges, ecls, enames = _contract_short(edges, ecls, enames, 1.0)
    log(f"contracted {n0 - len(edges)} edges shorter than 1 m")
    # drop near-duplicate vertices (keeps end points)
    edges = np.asarray(shapely.simplify(edges, 0.1, preserve_topology=False), dtype=object)
    nodes, s_i, e_i, g = _graph(edges)
    ncomp, lab = connected_components(g, directed=False)
    elab = lab[s_i]
    comp_len = np.bincount(elab, weights=shapely.length(edges), minlength=ncomp)
    main = int(np.argmax(comp_len))
    dropped = int((elab != main).sum())
    dropped_roads = int(sum(1 for i in np.flatnonzero(elab != main) if ecls[i] in ROAD_CLASSES))
    assert dropped_roads == 0, "street network itself is not connected"
    edges, ecls, enames = edges[elab == main], ecls[elab == main], enames[elab == main]
    log(f"network: {len(edges)} noded edges, {dropped} edges in {ncomp - 1} detached fragments dropped")
    # split long edges
    out_edges = []
    for gm, h, n in zip(edges, ecls, enames):
        cs = np.asarray(gm.coords)
        L = gm.length
        k = int(math.ceil(L / MAX_EDGE - 1e-9)) if L > MAX_EDGE else 1
        if k == 1:
            out_edges.append((cs, h, n))
            continue
        seg = np.hypot(*(cs[1:] - cs[:-1]).T)
        cum = np.concatenate([[0.0], np.cumsum(seg)])
        cuts = [L * j / k for j in range(1, k)]
        pieces, cur = [], [cs[0]]
        ci = 1
        for cut in cuts:
            while ci < len(cs) and cum[ci] <= cut:
                if cum[ci] < cut:
                    cur.append(cs[ci])
                ci += 1
            a = cs[ci - 1]
            bpt = cs[ci] if ci < len(cs) else cs[-1]
            sl = cum[ci] - cum[ci - 1] if ci < len(cs) else 1.0
            t = (cut - cum[ci - 1]) / sl if sl > 0 else 0.0
            p = a + (bpt - a) * t
            cur.append(p)
            pieces.append(np.array(cur))
            cur = [p]
        cur += list(cs[ci:])
        pieces.append(np.array(cur))
        for pc in pieces:
            out_edges.append((pc, h, n))

    # ---------------- facilities
    fac = []
    bl_geoms = [b["geom"] for b in buildings]
    btree = STRtree(bl_geoms)
    cand_pts, cand_comm, cand_block = [], [], []
    for ra in res_areas:
        for p in _polys(ra["geom"].buffer(-2.0, join_style="mitre"), 100):
            ext = p.exterior
            for d in np.arange(5, ext.length, 20.0):
                cand_pts.append(ext.interpolate(d).coords[0])
                cand_comm.append(ra["community"])
                cand_block.append(ra["block"])
    for b, BA, _ls in nonres:
        for p in _polys(BA.buffer(-2.0, join_style="mitre"), 100):
            ext = p.exterior
            for d in np.arange(5, ext.length, 20.0):
                cand_pts.append(ext.interpolate(d).coords[0])
                cand_comm.append(int(block_comm[b]))
                cand_block.append(b)
    cand_pts = np.array(cand_pts)
    cand_comm = np.array(cand_comm)
    cand_block = np.array(cand_block)
    hit = btree.query(shapely.points(cand_pts), predicate="dwithin", distance=1.5)
    free = np.ones(len(cand_pts), bool)
    free[hit[0]] = False
    cxn = (cand_pts[:, 0] - xmin) / (xmax - xmin)
    cy = cand_pts[:, 1]
    ymin_, ymax_ = cy.min(), cy.max()
    cyn = (cy - ymin_) / (ymax_ - ymin_)
    area_tree = STRtree([ra["geom"] for ra in res_areas])

    area_geoms = np.array([ra["geom"] for ra in res_areas], dtype=object)

    def near_prefixes(pt):
        P_ = Point(pt)
        for r_ in (400.0, 1500.0, 1e7):
            idx = area_tree.query(P_, predicate="dwithin", distance=r_)
            if len(idx) >= 8 or r_ > 1e6:
                break
        idx = np.sort(idx)
        order_ = idx[np.argsort(shapely.distance(P_, area_geoms[idx]), kind="stable")[:8]]
        return [_area_prefix(res_areas[int(i)]["name"]) for i in order_]

    cand_tree = cKDTree(cand_pts)
    used_names = set()
    taken = np.zeros(len(cand_pts), bool)

    def place(ftype, idx, ci):
        pt = cand_pts[idx]
        cname = comms[ci]["name"]
        pref = near_prefixes(pt)
        if ftype == "party_service":
            bases = [f"{cname}党群服务中心"]
        elif ftype == "health_station":
            bases = [f"{cname}卫生服务站"] + [f"{cname}{p}卫生服务站" for p in pref]
        elif ftype == "elderly_care":
            bases = [f"{p}居家养老服务站" for p in pref] + [f"{cname}养老服务站"]
        elif ftype == "kindergarten":
            bases = [f"{p}幼儿园" for p in pref]
        elif ftype == "primary_school":
            bases = [f"贵池区{p}小学" for p in pref]
        elif ftype == "market":
            bases = [f"{p}菜市场" for p in pref]
        elif ftype == "fitness":
            bases = [f"{p}健身场地" for p in pref]
        else:
            bases = [f"{p}便利店" for p in pref]
        name = next((b for b in bases if b not in used_names), None)
        k = 2
        while name is None:
            name = f"{bases[0]}{k}号店" if ftype == "convenience" else f"{bases[0]}（{k}）"
            name = None if name in used_names else name
            k += 1
        used_names.add(name)
        taken[idx] = True
        fac.append(dict(type=ftype, name=name, community=ci, pt=pt))

    # party service centres: one per community, near the community's middle
    for ci, c in enumerate(comms):
        m = np.flatnonzero((cand_comm == ci) & free)
        rp = c["geom"].point_on_surface()
        cc = np.array([c["geom"].centroid.x, c["geom"].centroid.y])
        tgt = cc if c["geom"].contains(Point(cc)) else np.array(rp.coords[0])
        idx = m[int(np.argmin(np.linalg.norm(cand_pts[m] - tgt, axis=1)))]
        place("party_service", idx, ci)
    school_blocks = {b for b in range(nb) if kinds[b] == "school"}
    for ftype, n0 in FACILITY_COUNTS.items():
        n = max(1, int(round(n0 * scale)))
        bias = FACILITY_EAST_BIAS[ftype]
        w = np.exp(bias * cxn) * (1.0 + 0.8 * np.exp(-((cxn - 0.6) ** 2 + (cyn - 0.5) ** 2) / 0.05))
        if ftype == "health_station":
            w = w * (cxn > 0.35)      # nothing in the western third
        elif ftype in ("market", "elderly_care"):
            w = w * (cxn > 0.2)
        if ftype in ("primary_school", "kindergarten"):
            sb = np.array([b in school_blocks for b in cand_block])
            w = w * np.where(sb, 30.0 if ftype == "primary_school" else 0.05, 1.0)
        w = w * free * (~taken)
        for _ in range(n):
            if w.sum() <= 0:
                break
            idx = int(rng.choice(len(w), p=w / w.sum()))
            place(ftype, idx, int(cand_comm[idx]))
            w[cand_tree.query_ball_point(cand_pts[idx], FACILITY_SPACING[ftype])] = 0
            w[idx] = 0
    log(f"{len(fac)} facilities")

    # ---------------- assemble GeoJSON
    layers: dict[str, dict] = {}
    layers["streets"] = _fc([_feature({"code": s["code"], "name": s["name"]}, _mpoly(s["geom"]))
                             for s in streets])
    layers["communities"] = _fc([_feature({
        "code": c["code"], "name": c["name"], "street_code": c["street_code"],
        "party_org_kind": c["kind"], "party_org_name": f"中共{c['name']}{'委员会' if c['kind'] == '党委' else '总支部委员会'}",
        "party_secretary": c["secretary"], "party_members": int(c["members"])}, _mpoly(c["geom"]))
        for c in comms])
    layers["grids"] = _fc([_feature({"code": g_["code"], "name": g_["name"],
                                     "community_code": g_["community_code"], "workers": g_["workers"]},
                                    _mpoly(g_["geom"])) for g_ in grids])
    res_areas.sort(key=lambda r: r["code"])
    buildings.sort(key=lambda b: b["code"])
    layers["residential_areas"] = _fc([_feature({
        "code": ra["code"], "name": ra["name"], "community_code": comms[ra["community"]]["code"],
        "party_org_kind": ra["party"]["kind"], "party_org_name": ra["party"]["name"],
        "party_secretary": ra["party"]["secretary"], "party_members": int(ra["party"]["members"])},
        _mpoly(ra["geom"])) for ra in res_areas])
    feats = []
    for bd in buildings:
        pa = bd.get("party")
        feats.append(_feature({
            "code": bd["code"], "name": bd["name"], "community_code": comms[bd["community"]]["code"],
            "residential_area_code": bd["area"]["code"] if bd["area"] is not None else None,
            "floors": int(bd["floors"]), "households": int(bd["households"]),
            "residents": int(bd["residents"]),
            "party_org_kind": pa["kind"] if pa else None, "party_org_name": pa["name"] if pa else None,
            "party_secretary": pa["secretary"] if pa else None,
            "party_members": int(pa["members"]) if pa else None}, _mpoly(bd["geom"])))
    layers["buildings"] = _fc(feats)
    fcount: dict[str, int] = {}
    feats = []
    fac.sort(key=lambda f: (list(FACILITY_TYPES).index(f["type"]),))
    for f in fac:
        fcount[f["type"]] = fcount.get(f["type"], 0) + 1
        lon, lat = _TO_WGS.transform(f["pt"][0], f["pt"][1])
        feats.append(_feature({"code": f"F-{f['type']}-{fcount[f['type']]:03d}", "name": f["name"],
                               "type_code": f["type"], "community_code": comms[f["community"]]["code"]},
                              {"type": "Point", "coordinates": [_r7(lon), _r7(lat)]}))
    layers["facilities"] = _fc(feats)
    feats = []
    allc = np.vstack([cs for cs, _, _ in out_edges])
    lon, lat = _TO_WGS.transform(allc[:, 0], allc[:, 1])
    off = 0
    for cs, h, n in out_edges:
        pts = _ring_ll(zip(lon[off:off + len(cs)], lat[off:off + len(cs)]))
        off += len(cs)
        if len(pts) < 2:
            continue
        feats.append(_feature({"highway": h, "name": n}, {"type": "LineString", "coordinates": pts}))
    layers["network"] = _fc(feats)
    log("assembled")
    return layers


# --------------------------------------------------------------------------
# writing and checking
# --------------------------------------------------------------------------
def write(out_dir, layers: dict[str, dict]) -> dict[str, int]:
    """Write each layer as <out_dir>/<layer>.geojson (one feature per line)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sizes = {}
    for name, fc in layers.items():
        parts = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in fc["features"]]
        text = '{"type":"FeatureCollection","features":[\n' + ",\n".join(parts) + "\n]}\n"
        p = out / f"{name}.geojson"
        p.write_text(text, encoding="utf-8")
        sizes[name] = p.stat().st_size
    return sizes


def _utm(geom):
    return shapely.transform(geom, lambda c: np.column_stack(_TO_UTM.transform(c[:, 0], c[:, 1])))


def check(layers: dict[str, dict], scale: float = 1.0) -> dict:
    """Re-read the rounded output and assert the topological / content rules."""
    G = {k: [shape(f["geometry"]) for f in v["features"]] for k, v in layers.items()}
    P = {k: [f["properties"] for f in v["features"]] for k, v in layers.items()}
    U = {k: np.array([_utm(g) for g in v], dtype=object) for k, v in G.items()}
    rep = {}
    # validity and geometry types
    for k in ["streets", "communities", "grids", "residential_areas", "buildings"]:
        assert all(g.geom_type == "MultiPolygon" for g in G[k]), k
        bad = int((~shapely.is_valid(np.array(G[k], dtype=object))).sum())
        bad_u = int((~shapely.is_valid(U[k])).sum())
        assert bad == 0 and bad_u == 0, f"{k}: {bad} invalid polygons"
    assert all(g.geom_type == "Point" for g in G["facilities"])
    assert all(g.geom_type == "LineString" and len(g.coords) >= 2 for g in G["network"])

    def tiling(parent_geoms, parent_codes, child_geoms, child_parent, what):
        worst_u, worst_o = 0.0, 0.0
        for pg, pc in zip(parent_geoms, parent_codes):
            kids = [g for g, c in zip(child_geoms, child_parent) if c == pc]
            assert kids, f"{what}: {pc} has no children"
            un = shapely.union_all(kids)
            worst_u = max(worst_u, shapely.symmetric_difference(un, pg).area)
            t = STRtree(kids)
            a, b = t.query(kids, predicate="intersects")
            m = a < b
            if m.any():
                worst_o = max(worst_o, float(shapely.area(shapely.intersection(
                    np.array(kids, dtype=object)[a[m]], np.array(kids, dtype=object)[b[m]])).max()))
        assert worst_u < 1.0, f"{what}: union differs by {worst_u} m2"
        assert worst_o < 0.01, f"{what}: overlap {worst_o} m2"
        return worst_u, worst_o

    rep["communities/street"] = tiling(U["streets"], [p["code"] for p in P["streets"]], U["communities"],
                                       [p["street_code"] for p in P["communities"]], "communities")
    rep["grids/community"] = tiling(U["communities"], [p["code"] for p in P["communities"]], U["grids"],
                                    [p["community_code"] for p in P["grids"]], "grids")
    # codes
    for p in P["streets"]:
        assert len(p["code"]) == 9 and p["code"].isdigit()
    for p in P["communities"]:
        assert len(p["code"]) == 12 and p["code"].startswith(p["street_code"])
    for p in P["grids"]:
        assert len(p["code"]) == 15 and p["code"].startswith(p["community_code"])
    for k in P:
        codes = [p.get("code") for p in P[k] if "code" in p]
        assert len(codes) == len(set(codes)), f"duplicate codes in {k}"
    ra_code = {p["code"]: i for i, p in enumerate(P["residential_areas"])}
    for p in P["residential_areas"]:
        assert p["code"][:12] == p["community_code"] and p["code"][12] == "R" and len(p["code"]) == 16
    # buildings: inside their area, no overlaps, outside-area ones outside all areas
    B = U["buildings"]
    t = STRtree(B)
    a, b = t.query(B, predicate="intersects")
    m = a < b
    ov = float(shapely.area(shapely.intersection(B[a[m]], B[b[m]])).max()) if m.any() else 0.0
    assert ov < 0.01, f"buildings overlap {ov} m2"
    RA = U["residential_areas"]
    outside = 0
    for i, p in enumerate(P["buildings"]):
        if p["residential_area_code"] is None:
            outside += 1
            assert p["code"][12] == "B" and p["code"][:12] == p["community_code"]
        else:
            j = ra_code[p["residential_area_code"]]
            assert p["code"].startswith(p["residential_area_code"] + "B")
            assert shapely.difference(B[i], RA[j]).area < 0.01, f"building {p['code']} outside its area"
    ra_tree = STRtree(RA)
    oi = [i for i, p in enumerate(P["buildings"]) if p["residential_area_code"] is None]
    if oi:
        a, b = ra_tree.query(B[oi], predicate="intersects")
        assert len(a) == 0 or shapely.area(shapely.intersection(B[np.array(oi)[a]], RA[b])).max() < 0.01
    holes = sum(1 for g in G["buildings"] for p in g.geoms if len(p.interiors))
    for p in P["buildings"]:
        assert p["households"] >= 1 and p["residents"] >= 1 and p["floors"] >= 1
    # network
    N = U["network"]
    nodes, si, ei, g = _graph(N)
    ncomp, lab = connected_components(g, directed=False)
    assert ncomp == 1, f"network has {ncomp} components"
    # every node that touches an edge must be one of its endpoints (no T without split)
    Nll = np.array(G["network"], dtype=object)
    nodes_ll, _, _ = _node_ids(Nll)
    tN = STRtree(Nll)
    pi, ej = tN.query(shapely.points(nodes_ll), predicate="intersects")
    s_ll, e_ll = _endpoints(Nll)
    bad = ~(np.all(s_ll[ej] == nodes_ll[pi], axis=1) | np.all(e_ll[ej] == nodes_ll[pi], axis=1))
    assert not bad.any(), f"{int(bad.sum())} node/edge contacts without a shared endpoint"
    a, b = tN.query(Nll, predicate="crosses")
    assert len(a) == 0, f"{len(a) // 2} crossing edge pairs"
    elen = shapely.length(N)
    # facilities
    F = U["facilities"]
    ntree = STRtree(N)
    near = ntree.query_nearest(F, return_distance=True)
    fd = near[1]
    assert fd.max() <= 40.0, f"facility {fd.max():.1f} m from network"
    road = np.array([p["highway"] in ROAD_CLASSES for p in P["network"]])
    rtree = STRtree(N[road])
    rd = rtree.query_nearest(F, return_distance=True)[1]
    assert rd.min() > 3.0, "facility on a road centreline"
    types = sorted({p["type_code"] for p in P["facilities"]})
    assert set(types) <= set(FACILITY_TYPES)
    # accessibility: network distance from buildings to the nearest health station
    ktree = cKDTree(nodes)
    hs = [i for i, p in enumerate(P["facilities"]) if p["type_code"] == "health_station"]
    fxy = shapely.get_coordinates(F)
    src = np.unique(ktree.query(fxy[hs])[1])
    dist = dijkstra(g, directed=False, indices=src, min_only=True)
    bxy = shapely.get_coordinates(shapely.centroid(B))
    bd_, bn = ktree.query(bxy)
    bdist = dist[bn] + bd_
    far = float((bdist > WALK_15MIN).mean())
    res = np.array([p["residents"] for p in P["buildings"]])
    far_res = int(res[bdist > WALK_15MIN].sum())
    rep.update(dict(
        counts={k: len(v["features"]) for k, v in layers.items()},
        residents=int(res.sum()), households=int(sum(p["households"] for p in P["buildings"])),
        buildings_outside_areas=outside, courtyard_buildings=holes,
        party_groups=sum(1 for p in P["buildings"] if p["party_org_kind"]),
        community_party_kinds={k: sum(1 for p in P["communities"] if p["party_org_kind"] == k)
                               for k in ("党委", "党总支")},
        network_nodes=len(nodes), network_length_km=round(float(elen.sum()) / 1000, 1),
        max_edge_m=round(float(elen.max()), 1), min_edge_m=round(float(elen.min()), 3),
        highway={h: int(sum(1 for p in P["network"] if p["highway"] == h)) for h in HIGHWAYS},
        facility_types={t_: sum(1 for p in P["facilities"] if p["type_code"] == t_) for t_ in types},
        facility_max_dist_to_network_m=round(float(fd.max()), 1),
        buildings_beyond_15min_health=f"{far:.1%} of buildings, {far_res} residents",
        street_area_km2=round(float(sum(shapely.area(U['streets']))) / 1e6, 2),
    ))
    if scale >= 1.0:
        c = rep["counts"]
        assert c["communities"] >= 5 * scale and c["grids"] >= 25 * scale
        assert c["residential_areas"] >= 60 * scale and c["buildings"] >= 1500 * scale
        assert c["network"] >= 5000 * scale and c["facilities"] >= 60 and len(types) >= 8
        assert 40000 * scale <= rep["residents"] <= 80000 * scale, rep["residents"]
        assert holes >= 1 and 0 < outside and far > 0
    return rep


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / "geodata" / "demo"))
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--no-check", action="store_true", help="skip the (slow at large scale) checks")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args(argv)
    layers = generate(seed=a.seed, scale=a.scale, verbose=a.verbose)
    sizes = write(a.out, layers)
    print(f"wrote {a.out}:")
    for k in LAYERS:
        print(f"  {k + '.geojson':26s} {len(layers[k]['features']):7d} features {sizes[k] / 1e6:8.2f} MB")
    print(f"  total {sum(sizes.values()) / 1e6:.2f} MB")
    if not a.no_check:
        rep = check(layers, a.scale)
        print("checks passed:")
        for k, v in rep.items():
            print(f"  {k}: {v}")


if __name__ == "__main__":
    main()
