"""Who is writing: a best guess of child or parent from what they write and what they pick.

A conversation keeps its guess; a clear sign in a message moves it, nothing else does. When
unsure the user is treated as a child (the safer reading for every text the bot says). The
gateway keeps the guess per conversation and sends it to Rasa with each message; the actions
fall back to the same guess over the conversation's messages when none is sent.
Standard library and ``common.vietnamese`` only, so both environments share it.
"""

from __future__ import annotations

import re
from typing import Iterable, Optional

from common.vietnamese import normalize

CHILD, PARENT, UNKNOWN = "child", "parent", "unknown"
SPEAKERS = (CHILD, PARENT, UNKNOWN)

# An adult writing about a child in their care ("con tôi", "bé nhà mình 5 tuổi", "cháu ngoại
# tôi", "tôi là mẹ của", "học sinh của tôi", "dạy con thế nào"), folded and teen code expanded.
_PARENT = re.compile(
    r"\b(?:con (?:trai |gai )?(?:toi|nha toi|nha minh|cua toi|cua minh|cua em|nha em)"
    r"|con (?:trai|gai) (?:minh|em)|con minh|con (?:trai|gai) (?:\d+|len \d+) tuoi"
    r"|chau (?:noi |ngoai )?(?:toi|nha toi|cua toi|nha minh)"
    r"|(?:be|nhoc|dua nho|thang be|thang cu|con be|cu cau) nha (?:toi|minh|em|chi|anh)"
    r"|be (?:trai |gai )?(?:cua )?(?:toi|nha toi)"
    r"|hoc sinh (?:cua )?(?:toi|minh|em)|lop (?:toi|minh) chu nhiem"
    r"|toi la (?:me|bo|ba|ma|co giao|thay giao|giao vien|phu huynh|ong|ba noi|ba ngoai)"
    r"|(?:minh|em|chi|anh) la (?:me|bo|phu huynh) (?:cua|be|chau)"
    r"|phu huynh|cac con nha|dua nho nha|con em (?:nam nay|\d+ tuoi|hoc lop)"
    r"|nha (?:toi|minh) co (?:\d+ )?(?:chau|be|dua)|vo chong (?:toi|em|minh)"
    r"|(?:toi|chung toi) co (?:mot |hai |ba |\d+ )?(?:dua )?(?:con|be|chau)"
    r"|(?:\d+|hai|ba) dua con|con (?:toi|minh) (?:nam nay )?\d+ tuoi"
    r"|(?:bo me|cha me|phu huynh|nguoi lon) (?:nen|can|phai) (?:lam|day|noi|xu ly|giup)"
    r"|cach day (?:con|be|tre)|day (?:con|be) (?:the nao|nhu the nao|ra sao))\b"
)
# A child writing about themself and their family ("mẹ em", "em học lớp 3", "bố con").
_CHILD = re.compile(
    r"\b(?:(?:bo|me|ba|ma|cha|thay|co giao|co chu nhiem|ong|ba noi|ba ngoai|anh trai|chi gai)"
    r" (?:em|con|tui|to|minh|tao)\b|(?:em|tui|to) (?:nam nay )?(?:hoc |dang hoc )?lop \d|"
    r"em \d+ tuoi|(?:truong|lop) (?:em|tui|to)\b)"
)
PARENT_PAYLOADS = ("/faq_menu", "/faq", "/faq_answer")

# How a reply addresses its reader: parents as "anh/chị", children as "em" or "bạn".
_ADDRESS_PARENT = re.compile(r"\banh\s*/\s*chị\b|\banh chị\b", re.IGNORECASE)
_ADDRESS_CHILD = re.compile(r"(?<!trẻ )\bem\b|\bbạn\b(?! bè)", re.IGNORECASE)


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


def over(messages: Iterable[str], previous: str = UNKNOWN) -> str:
    """The guess after a conversation's messages in order (payloads start with '/')."""
    who = previous
    for message in messages:
        who = from_payload(message, who) if message.startswith("/") else guess(message, who)
    return who


def as_audience(speaker: str) -> str:
    """Whom to address: parents as parents, everyone else (unsure included) as a child."""
    return PARENT if speaker == PARENT else CHILD


def address_of(reply: str) -> Optional[str]:
    """Whom a reply speaks to: "parent" (anh/chị), "child" (em/bạn) or None (neither)."""
    if _ADDRESS_PARENT.search(reply):
        return PARENT
    if _ADDRESS_CHILD.search(reply):
        return CHILD
    return None

