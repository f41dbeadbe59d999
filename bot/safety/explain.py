"""The triage's reasons in Vietnamese, for the counsellors who read them beside a case.

The triage stores its reasons as short, stable English codes (`bot.safety.triage`), which the
tests and the data keep; `in_vietnamese` renders them for people. An unknown reason is shown as
stored rather than dropped: a counsellor always sees every reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

CATEGORY_VI = {
    "sexual_abuse": "xâm hại tình dục",
    "physical_violence": "bạo lực thể chất",
    "emotional_abuse": "bạo lực tinh thần",
    "neglect": "bỏ mặc",
    "self_harm": "tự làm hại",
    "immediate_danger": "nguy hiểm ngay lúc này",
    "trafficking": "mua bán người",
    "child_labour": "lao động trẻ em",
    "online_abuse": "xâm hại trên mạng",
    "bullying": "bắt nạt",
    "runaway": "bỏ nhà đi",
    "other": "khác",
    "request_human": "muốn gặp người thật",
}
RISK_VI = {"none": "không", "concern": "cần chú ý", "high": "cao", "imminent": "tức thời"}
FIXED = {
    "learned: unavailable": "Mô hình học máy: không chạy được (chỉ dựa vào luật)",
    "tapped: talk to a person": "Bấm nút \"gặp người tư vấn\"",
    "tapped an offered button": "Bấm một nút bot vừa đưa ra",
    "a rule reads danger now": "Luật đọc thấy nguy hiểm ngay lúc này: chuyển ca dù còn nghi ngờ",
    "a rule hit is at least a doubt": "Có luật khớp: ít nhất là cần xem",
    "rasa agrees with the doubt": "Rasa đồng ý với nghi ngờ: chuyển ca",
    "rasa in doubt": "Rasa nghi ngờ: cần xem",
    "grooming cues built up over the last messages":
        "Dấu hiệu dụ dỗ cộng dồn qua các tin nhắn gần đây (quà, giữ bí mật, ảnh, hẹn gặp)",
    "asks for a person": "Muốn nói chuyện với người thật",
    "rasa: asks for a person": "Rasa: muốn nói chuyện với người thật",
    "a parent's general question": "Câu hỏi chung của phụ huynh: không chuyển ca, chỉ cần xem",
}


def _name(code: str) -> str:
    """A category, an intent or a rule id in Vietnamese where one is known."""
    code = code.strip()
    if code.startswith("risk_"):
        code = code[len("risk_"):]
    head = code.split(".", 1)[0]
    if head in CATEGORY_VI and "." in code:
        return f"{CATEGORY_VI[head]} ({code})"
    return CATEGORY_VI.get(code, code)


def _rules(m: re.Match[str]) -> str:
    names = ", ".join(_name(r) for r in m.group(1).split(","))
    return f"Luật khớp: {names}" + (" (dạng câu hỏi chung)" if m.group(2) else "")


def _learned(m: re.Match[str]) -> str:
    parts = [f"nguy cơ {m.group(1)}"]
    if m.group(2):
        parts.append(f"{_name(m.group(2))} {m.group(3)}")
    if m.group(4):
        parts.append(f"câu hỏi chung {m.group(4)}")
    return "Mô hình học máy: " + ", ".join(parts)


def _fused(m: re.Match[str]) -> str:
    return (f"Điểm tổng hợp {m.group(1)} (chuyển ca từ {m.group(2)}, "
            f"cần xem từ {m.group(3)})")


PATTERNS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r"^rules: (.+?)( \(as a question\))?$"), _rules),
    (re.compile(r"^learned: risky ([\d.]+)(?:, (\w+) ([\d.]+))?(?:, general ([\d.]+))?$"),
     _learned),
    (re.compile(r"^rasa: (\w+) ([\d.]+)$"),
     lambda m: f"Rasa: {_name(m.group(1))} (độ tin cậy {m.group(2)})"),
    (re.compile(r"^always escalates: (.+)$"),
     lambda m: "Luôn chuyển ca: " + ", ".join(_name(r) for r in m.group(1).split(","))),
    (re.compile(r"^answers the (quiz|lesson) on screen$"),
     lambda m: "Trả lời " + ("câu đố" if m.group(1) == "quiz" else "bài học") + " đang mở"),
    (re.compile(r"^fused ([\d.]+) \(escalate at ([\d.]+), review at ([\d.]+)\)$"), _fused),
    (re.compile(r"^raises the case from (\w+)$"),
     lambda m: f"Nâng mức nguy cơ của ca từ \"{RISK_VI.get(m.group(1), m.group(1))}\""),
)


def reason_in_vietnamese(reason: str) -> str:
    """One stored reason, for a counsellor."""
    if reason in FIXED:
        return FIXED[reason]
    for pattern, render in PATTERNS:
        match = pattern.match(reason)
        if match:
            return render(match)
    return reason


def in_vietnamese(reasons: Iterable[str]) -> list[str]:
    """Every stored reason, in order, for a counsellor."""
    return [reason_in_vietnamese(r) for r in reasons]
