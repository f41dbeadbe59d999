"""Menu, greeting, fallback and small talk: every reply offers the menu, never a dead end."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.ui import HOTLINE_REMINDER, MENU_BUTTON, MENU_BUTTONS, text


class ActionGreet(Action):
    """Welcome the user and show the menu."""

    def name(self) -> Text:
        return "action_greet"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(
            text=text("welcome", "Chào bạn! Mình là Bạn Nhỏ An Toàn. Bạn muốn làm gì nào?"),
            buttons=MENU_BUTTONS,
        )
        return []


class ActionShowMenu(Action):
    """Show the main menu."""

    def name(self) -> Text:
        return "action_show_menu"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(
            text=text("menu", "Bạn có thể chọn một mục bên dưới nhé."), buttons=MENU_BUTTONS
        )
        return []


class ActionFallbackMenu(Action):
    """Say we did not understand, offer the menu and the 111 hotline."""

    def name(self) -> Text:
        return "action_fallback_menu"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        default = (
            "Xin lỗi, mình chưa hiểu ý bạn lắm. Bạn có thể chọn một mục bên dưới. "
            "Nếu bạn đang gặp chuyện không ổn, hãy gọi 111 (miễn phí, 24/7)."
        )
        message = text("fallback", default)
        if "111" not in message:
            message = f"{message}\n{HOTLINE_REMINDER}"
        dispatcher.utter_message(text=message, buttons=MENU_BUTTONS)
        return []


class ActionBotChallenge(Action):
    """Say honestly that this is a bot, and that a real person is available."""

    def name(self) -> Text:
        return "action_bot_challenge"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        default = (
            "Mình là Bạn Nhỏ An Toàn, một chatbot (chương trình máy tính), không phải người thật. "
            "Mình giúp bạn học cách giữ an toàn và chỉ cho bạn nơi tìm người giúp đỡ. "
            "Nếu bạn muốn nói chuyện với người thật, bấm nút bên dưới "
            "hoặc gọi 111 (miễn phí, 24/7)."
        )
        dispatcher.utter_message(
            text=text("bot_challenge", default),
            buttons=[
                {"title": "🙋 Nói chuyện với người thật", "payload": "/request_human"},
                MENU_BUTTON,
            ],
        )
        return []


class ActionGoodbye(Action):
    """Say goodbye with the hotline."""

    def name(self) -> Text:
        return "action_goodbye"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        default = (
            "Tạm biệt bạn nhé! Khi nào cần, bạn cứ nhắn cho mình. "
            "Nếu gặp chuyện không ổn, hãy gọi 111 (miễn phí, 24/7)."
        )
        dispatcher.utter_message(text=text("goodbye", default))
        return []


class ActionThanks(Action):
    """Answer thanks and offer the menu."""

    def name(self) -> Text:
        return "action_thanks"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        default = "Không có gì đâu bạn! Bạn muốn làm gì tiếp nào?"
        dispatcher.utter_message(text=text("thanks", default), buttons=MENU_BUTTONS)
        return []


class ActionChitchat(Action):
    """Answer small talk briefly and steer back to the menu."""

    def name(self) -> Text:
        return "action_chitchat"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        default = (
            "Mình vui khi được trò chuyện với bạn! Mình giỏi nhất là chuyện giữ an toàn: "
            "học bài, đố vui, hoặc chỉ bạn nơi tìm người giúp. Bạn chọn nhé."
        )
        dispatcher.utter_message(text=text("chitchat", default), buttons=MENU_BUTTONS)
        return []


class ActionOutOfScope(Action):
    """Say what the bot can do when asked something outside its scope."""

    def name(self) -> Text:
        return "action_out_of_scope"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        default = (
            "Câu này mình chưa giúp được rồi. Mình chỉ biết về an toàn cho các bạn nhỏ: "
            "bài học, đố vui, hỏi đáp cho bố mẹ và các số điện thoại giúp đỡ như 111."
        )
        dispatcher.utter_message(text=text("out_of_scope", default), buttons=MENU_BUTTONS)
        return []
