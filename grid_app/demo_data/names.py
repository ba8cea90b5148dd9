"""Chinese names of the demo: streets, communities, residential areas, roads and people."""
from __future__ import annotations

import itertools

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


def person(rng) -> str:
    """A random person's name (surname + given name)."""
    return SURNAMES[int(rng.integers(len(SURNAMES)))] + GIVEN[int(rng.integers(len(GIVEN)))]


_PREFIX_SUFFIXES = sorted(set(AREA_SUFFIXES + ["小区", "花园", "家园", "新村", "名邸", "佳苑", "雅苑", "苑",
                                            "园", "宿舍", "人家", "里", "城", "湖畔", "华庭", "公寓"]),
                          key=len, reverse=True)


def area_prefix(name: str) -> str:
    """'月亮湾小区二期' -> '月亮湾' (used to name nearby facilities)."""
    n = name
    if n.endswith("期"):
        n = n.rstrip("期").rstrip("0123456789二三四五六七八九")
    for suf in _PREFIX_SUFFIXES:
        if n.endswith(suf) and len(n) - len(suf) >= 2:
            return n[: -len(suf)]
    return n[:2]


def name_pool(base: list[str], n: int, extra) -> list[str]:
    """First the base names, then generated ones; all distinct."""
    out, seen = [], set()
    for nm in itertools.chain(base, extra()):
        if nm not in seen:
            seen.add(nm)
            out.append(nm)
            if len(out) >= n:
                return out
    raise ValueError("name pool too small")


def area_name_extra():
    """Generated residential area names after the base list."""
    for o in ORDINALS:
        for s in AREA_SUFFIXES:
            for p in AREA_PREFIXES:
                yield p + s + o
    for k in range(10, 100000):
        for p in AREA_PREFIXES:
            yield f"{p}小区{k}期"


def community_name_extra():
    """Generated community names after the base list."""
    for v in COMMUNITY_VARIANTS[1:]:
        for p in COMMUNITY_NAMES:
            yield p + v
    for k in range(2, 100000):
        for p in COMMUNITY_NAMES:
            yield f"{p}{k}"


def street_name_extra():
    """Generated street names after the base list."""
    for v in ["新区", "东", "西", "南", "北"]:
        for p in STREET_NAMES:
            yield p + v
    for k in range(2, 100000):
        for p in STREET_NAMES:
            yield f"{p}{k}"


def area_names(rng, scale):
    """The residential area names in the order areas take them: the base list shuffled, then generated ones."""
    pool = name_pool(AREA_NAMES, max(200, int(150 * scale) + 200), area_name_extra)
    return iter([pool[i] for i in rng.permutation(len(AREA_NAMES))] + pool[len(AREA_NAMES):])
