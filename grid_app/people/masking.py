"""Masked forms of personal data, the only forms lists and details show (PIPL Art. 51 de-identification)."""
from __future__ import annotations

# Two-character surnames (复姓) kept whole; any other name keeps its first character.
COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 令狐 端木 西门 独孤 南宫 "
    "轩辕 百里 呼延 东郭 万俟 申屠 澹台 公冶 太史 闻人 赫连 钟离 宗政 濮阳 淳于 单于 拓跋".split())


def mask_id(number: str | None) -> str | None:
    """`341702********1234`: region and last four kept (birth date and sex hidden)."""
    if not number:
        return number
    if len(number) <= 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_phone(phone: str | None) -> str | None:
    """`138****5678` for a mobile number; other numbers keep only their last four."""
    if not phone:
        return phone
    if len(phone) == 11 and phone.isdigit():
        return phone[:3] + "****" + phone[7:]
    return "*" * max(len(phone) - 4, 0) + phone[-4:]


def mask_name(name: str | None) -> str | None:
    """The surname kept, one `*` per other character: 王* / 欧阳**."""
    if not name:
        return name
    keep = 2 if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else 1
    if not ("\u4e00" <= name[0] <= "\u9fff"):  # a non-Chinese name: its first letter
        keep = 1
    return name[:keep] + "*" * max(len(name) - keep, 1)
