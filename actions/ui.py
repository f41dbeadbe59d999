"""What the actions say and offer: texts in the reader's voice, the menus, the hotline reminder."""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker

from common import speaker
from common.content import TOPIC_TITLES, voiced

logger = logging.getLogger(__name__)

Button = Dict[Text, Text]

CHILD_MENU: List[Button] = [
    {"title": "📚 Học bài", "payload": "/start_lesson"},
    {"title": "❓ Đố vui", "payload": "/start_quiz"},
    {"title": "☎️ Số điện thoại giúp đỡ", "payload": "/ask_hotline"},
    {"title": "⚖️ Quyền trẻ em", "payload": "/ask_rights"},
    {"title": "🙋 Nói chuyện với người thật", "payload": "/request_human"},
    {"title": "👪 Hỏi đáp cho bố mẹ", "payload": "/faq_menu"},
]
PARENT_MENU: List[Button] = [
    {"title": "👪 Hỏi đáp cho bố mẹ", "payload": "/faq_menu"},
    {"title": "📚 Bài học để dạy con", "payload": "/start_lesson"},
    {"title": "☎️ Số điện thoại giúp đỡ", "payload": "/ask_hotline"},
    {"title": "📣 Báo tin trẻ bị xâm hại", "payload": '/faq_answer{"faq_key":"how_to_report"}'},
    {"title": "🙋 Nói chuyện với tư vấn viên", "payload": "/request_human"},
]
MENU_BUTTON: Button = {"title": "🏠 Menu", "payload": "/show_menu"}
HUMAN_BUTTONS: Dict[str, Button] = {
    speaker.CHILD: {"title": "🙋 Nói chuyện với người thật", "payload": "/request_human"},
    speaker.PARENT: {"title": "🙋 Nói chuyện với tư vấn viên", "payload": "/request_human"},
}
HOTLINE_REMINDER = "Cần giúp ngay: gọi 111 (miễn phí, 24/7)."
# What a child is told if a text is missing from content/messages.yml (never a crash mid-chat).
SAFE_DEFAULT = (
    "Mình ở đây để giúp bạn. Bạn chọn một mục bên dưới nhé. Nếu có chuyện làm bạn lo, "
    "gọi 111 (miễn phí, 24/7)."
)


def speaker_of(tracker: Tracker) -> str:
    """Who is writing (child, parent or unknown): the gateway's guess sent with the message,
    else the same guess over this conversation's messages."""
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    sent = metadata.get("speaker") if isinstance(metadata, dict) else None
    if sent in speaker.SPEAKERS:
        return str(sent)
    said = [str(e.get("text") or "") for e in tracker.events if e.get("event") == "user"]
    return speaker.over(said)


def audience(tracker: Tracker) -> str:
    """Whom to address: a parent as a parent, anyone else (unsure included) as a child."""
    return speaker.as_audience(speaker_of(tracker))


def say(key: str, who: str, **fields: Any) -> str:
    """The text `key` from content/messages.yml in the reader's voice."""
    try:
        return voiced(key, who, **fields)
    except Exception:  # content errors are caught by the content tests, never mid-chat
        logger.exception("message %s missing or broken", key)
        return SAFE_DEFAULT


def menu(who: str) -> List[Button]:
    """The main menu for a child or a parent."""
    return PARENT_MENU if who == speaker.PARENT else CHILD_MENU


def lesson_button(topic: str) -> Button:
    """A button that starts the lesson on a topic."""
    return {
        "title": f"📚 Học bài “{TOPIC_TITLES.get(topic, topic)}”",
        "payload": f'/start_lesson{{"topic":"{topic}"}}',
    }


def entity(tracker: Tracker, name: str) -> Optional[str]:
    """The value of an entity in the latest user message, if any."""
    value = next(tracker.get_latest_entity_values(name), None)
    return str(value).strip() if value is not None and str(value).strip() else None


def latest_text(tracker: Tracker) -> str:
    """The latest user message text."""
    return str((tracker.latest_message or {}).get("text") or "")


def as_int(value: Any, default: int = 0) -> int:
    """A slot value as an int."""
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return default
