"""Extra questions some services ask (Open311 service attributes), kept as a code list per category.

A category without an entry has no extra attributes (metadata false, empty attribute list).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from grid_app.platform.errors import InvalidInput
from grid_app.platform.text import number as as_number

MAX_STRING, MAX_TEXT = 200, 2000


@dataclass(frozen=True)
class Attribute:
    """One question: code, datatype, whether required, its wording, and the allowed values."""

    code: str
    datatype: str
    required: bool
    description: tuple[str, str]  # (Chinese, English)
    values: tuple[tuple[str, str, str], ...] = ()  # (key, Chinese, English)
    datatype_description: tuple[str, str] | None = None

    def as_dict(self, order: int, lang: str) -> dict:
        """The Open311 form of the attribute."""
        pick = 0 if lang == "zh" else 1
        return {
            "variable": True, "code": self.code, "datatype": self.datatype,
            "required": self.required,
            "datatype_description": self.datatype_description[pick] if self.datatype_description else None,
            "order": order, "description": self.description[pick],
            "values": [{"key": k, "name": (zh, en)[pick]} for k, zh, en in self.values],
        }


_YES_NO = (("yes", "是", "Yes"), ("no", "否", "No"))

ATTRIBUTES: dict[str, tuple[Attribute, ...]] = {
    "0301": (Attribute("WHEN", "datetime", False, ("发生时间", "When did it happen?"),
                       datatype_description=("ISO 8601 时间，如 2026-05-01T22:30+08:00",
                                             "ISO 8601 time, e.g. 2026-05-01T22:30+08:00")),),
    "0402": (Attribute("FLOWING", "singlevaluelist", True, ("现在是否仍在漏水？", "Is water still flowing?"),
                       _YES_NO),),
    "0503": (Attribute("PLATE", "string", False, ("车牌号", "Licence plate number")),),
    "0703": (Attribute("FLOOR", "number", False, ("楼层", "Floor")),),
    "0801": (Attribute("NEED", "multivaluelist", True, ("需要哪些帮助？", "What help is needed?"),
                       (("meals", "送餐", "Meals"), ("medical", "就医", "Medical care"),
                        ("company", "陪伴", "Company"), ("repairs", "维修", "Home repairs"))),),
}


def for_category(code: str) -> tuple[Attribute, ...]:
    """The attributes of a category's service (empty when it asks nothing extra)."""
    return ATTRIBUTES.get(code, ())


def parse(code: str, form) -> dict[str, str | float | list[str]]:
    """Check the attribute[CODE] fields of a request against the service, or raise InvalidInput."""
    known = {a.code: a for a in for_category(code)}
    given: dict[str, list[str]] = {}
    for name in form.keys():
        if not name.startswith("attribute["):
            continue
        inner = name[len("attribute["):].removesuffix("[]")
        if not inner.endswith("]"):
            raise InvalidInput(f"malformed attribute field {name!r}; use attribute[CODE]", code="bad_attribute")
        attr_code = inner[:-1]
        if attr_code not in known:
            raise InvalidInput(f"service {code} has no attribute {attr_code!r}", code="bad_attribute")
        values = form.getlist(name) if hasattr(form, "getlist") else [form[name]]
        given.setdefault(attr_code, []).extend(str(v).strip() for v in values if str(v).strip())
    result = {}
    for attr in known.values():
        values = given.get(attr.code) or []
        if not values:
            if attr.required:
                raise InvalidInput(f"attribute[{attr.code}] is required for service {code}",
                                   code="missing_attribute")
            continue
        result[attr.code] = _value(attr, values)
    return result


def _value(attr: Attribute, values: list[str]):
    if attr.datatype != "multivaluelist" and len(values) > 1:
        raise InvalidInput(f"attribute[{attr.code}] takes one value", code="bad_attribute")
    raw = values[0]
    if attr.datatype in ("singlevaluelist", "multivaluelist"):
        keys = {k for k, _, _ in attr.values}
        bad = [v for v in values if v not in keys]
        if bad:
            raise InvalidInput(f"attribute[{attr.code}] must be among {', '.join(sorted(keys))}",
                               code="bad_attribute")
        return values if attr.datatype == "multivaluelist" else raw
    if attr.datatype == "number":
        number = as_number(raw, f"attribute[{attr.code}]", "bad_attribute")
        if not math.isfinite(number):
            raise InvalidInput(f"attribute[{attr.code}] must be a finite number", code="bad_attribute")
        return number
    if attr.datatype == "datetime":
        try:
            datetime.fromisoformat(raw)
        except ValueError as exc:
            raise InvalidInput(f"attribute[{attr.code}] must be an ISO 8601 time", code="bad_attribute") from exc
        return raw
    limit = MAX_TEXT if attr.datatype == "text" else MAX_STRING
    if len(raw) > limit:
        raise InvalidInput(f"attribute[{attr.code}] is longer than {limit} characters", code="bad_attribute")
    return raw


def describe(code: str, values: dict, lang: str) -> list[str]:
    """Readable 'question: answer' lines, so the answers reach the case's handlers."""
    pick = 0 if lang == "zh" else 1
    lines = []
    for attr in for_category(code):
        if attr.code not in values:
            continue
        names = {k: (zh, en)[pick] for k, zh, en in attr.values}
        value = values[attr.code]
        shown = ", ".join(names.get(v, v) for v in value) if isinstance(value, list) else names.get(value, value)
        if isinstance(shown, float):
            shown = f"{shown:g}"
        lines.append(f"{attr.description[pick]}: {shown}")
    return lines
