"""Tell a parent or carer reporting about a child from a child writing about themself."""

from __future__ import annotations

import re

from common.vietnamese import normalize

_PARENT = re.compile(
    r"\b(con (toi|minh|cua toi|nha toi|trai toi|gai toi|em toi)|chau (toi|nha toi|cua toi)"
    r"|be nha (toi|minh)|hoc sinh (cua )?toi|toi la (me|bo|ba|co giao|thay giao|phu huynh)"
    r"|phu huynh|em toi bi|dua tre|mot em be)\b"
)


def is_parent_report(text: str) -> bool:
    """True when the message reads as an adult reporting about a specific child."""
    return bool(_PARENT.search(normalize(text).folded))
