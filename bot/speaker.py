"""Who is writing: a best guess of child or parent from what they write and what they pick.

A conversation keeps its guess; a clear sign in a message moves it, nothing else does. When
unsure the user is treated as a child (the safer reading for every text the bot says).
"""

from __future__ import annotations

import re

from common.vietnamese import normalize

CHILD, PARENT, UNKNOWN = "child", "parent", "unknown"

# An adult writing about a child in their care ("con tôi", "bé nhà mình 5 tuổi", "cháu ngoại
# tôi", "tôi là mẹ của", "học sinh của tôi"), folded and teen code expanded.
_PARENT = re.compile(
    r"\b(?:con (?:trai |gai )?(?:toi|nha toi|nha minh|cua toi|cua minh|cua em|nha em)"
    r"|con (?:trai|gai) (?:minh|em)|chau (?:noi |ngoai )?(?:toi|nha toi|cua toi|nha minh)"
    r"|be nha (?:toi|minh|em|chi|anh)|be (?:trai |gai )?(?:cua )?(?:toi|nha toi)"
    r"|hoc sinh (?:cua )?(?:toi|minh|em)|lop (?:toi|minh) chu nhiem"
    r"|toi la (?:me|bo|ba|ma|co giao|thay giao|phu huynh|ong|ba noi|ba ngoai)"
    r"|(?:minh|em|chi|anh) la (?:me|bo|phu huynh) (?:cua|be|chau)"
    r"|phu huynh|cac con nha|dua nho nha|con em (?:nam nay|\d+ tuoi|hoc lop)"
    r"|nha (?:toi|minh) co (?:\d+ )?(?:chau|be|dua)|vo chong (?:toi|em|minh)"
    r"|(?:\d+|hai|ba) dua con|con (?:toi|minh) (?:nam nay )?\d+ tuoi)\b"
)
# A child writing about themself and their family ("mẹ em", "em học lớp 3", "bố con").
_CHILD = re.compile(
    r"\b(?:(?:bo|me|ba|ma|cha|thay|co giao|co chu nhiem|ong|ba noi|ba ngoai|anh trai|chi gai)"
    r" (?:em|con|tui|to|minh|tao)\b|em (?:nam nay )?(?:hoc )?lop \d|em \d+ tuoi|"
    r"(?:truong|lop) (?:em|tui|to)\b)"
)
PARENT_PAYLOADS = ("/faq_menu", "/faq", "/faq_answer")


def guess(text: str, previous: str = UNKNOWN) -> str:
    """The speaker after this message: a clear sign decides, else the previous guess stays."""
    folded = normalize(text).folded
    if _PARENT.search(folded):
        return PARENT
    if _CHILD.search(folded):
        return CHILD
    return previous


def from_payload(payload: str, previous: str = UNKNOWN) -> str:
    """A tapped button can tell too: the parents' menu is for parents."""
    if payload.startswith(PARENT_PAYLOADS):
        return PARENT
    return previous


def as_audience(speaker: str) -> str:
    """Whom to address: parents as parents, everyone else (unsure included) as a child."""
    return PARENT if speaker == PARENT else CHILD
