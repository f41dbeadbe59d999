"""Simulated conversations for the load benchmark: children, parents, some escalations."""

from __future__ import annotations

from dataclasses import dataclass

BUTTON = "<button>"  # tap the first button the bot offered


@dataclass(frozen=True)
class Script:
    """One simulated user's messages, in order."""

    role: str
    messages: tuple[str, ...]


_SCRIPTS = (
    Script("child", ("xin chao", "cho em hoc bai ve an toan co the", BUTTON, BUTTON, BUTTON,
                     BUTTON, BUTTON)),
    Script("child", ("hi ban", "e muon hoc ve nguoi la", BUTTON, BUTTON, BUTTON, BUTTON)),
    Script("child", ("chào bạn", "cho em làm câu đố", BUTTON, BUTTON, BUTTON, BUTTON)),
    Script("child", ("alo", "bai hoc ve duoi nuoc", BUTTON, BUTTON, BUTTON, "cam on ban")),
    Script("child", ("ban la ai vay", "so dien thoai de goi khi bi bat nat", "cam on")),
    Script("parent", ("Dấu hiệu trẻ bị xâm hại là gì?", "tong dai 111 la gi",
                      "làm sao nói chuyện với con về cơ thể", "cảm ơn")),
    Script("parent", ("Quy tắc đồ lót là gì?", "con toi choi game online nhieu co sao ko",
                      "luat tre em cam nhung gi", "cam on nhieu")),
    Script("parent", ("chao ban", "phat con bang roi co sao khong", "bao cao xam hai o dau")),
)
_ESCALATING = (
    Script("child", ("xin chao", "bo em danh em dau lam", "em so lam")),
    Script("child", ("e k muon song nua", "ko ai thuong e")),
)


def ordinary_scripts() -> list[Script]:
    """Conversations that never escalate: every message goes through the triage and Rasa."""
    return list(_SCRIPTS)


def scripts() -> list[Script]:
    """The pool the benchmark draws conversations from (two of ten escalate)."""
    return list(_SCRIPTS + _ESCALATING)
