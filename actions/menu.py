"""Menu, greeting and small talk, in the reader's voice: every reply offers the menu."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.ui import HUMAN_BUTTONS, MENU_BUTTON, audience, menu, say


class _Say(Action):
    """An action that says one text in the reader's voice, with the menu (or no buttons)."""

    key = ""
    with_menu = True

    def name(self) -> Text:
        return f"action_{self.key}"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        who = audience(tracker)
        dispatcher.utter_message(text=say(self.key, who), buttons=self.buttons(who))
        return []

    def buttons(self, who: str) -> List[Dict[Text, Text]]:
        """The buttons under the text."""
        return menu(who) if self.with_menu else []


class ActionGreet(_Say):
    """Welcome the user and show the menu."""

    key = "welcome"

    def name(self) -> Text:
        return "action_greet"


class ActionShowMenu(_Say):
    """Show the main menu."""

    key = "menu"

    def name(self) -> Text:
        return "action_show_menu"


class ActionBotChallenge(_Say):
    """Say honestly that this is a bot, and that a real person is available."""

    key = "bot_challenge"

    def buttons(self, who: str) -> List[Dict[Text, Text]]:
        """A real person first, then the menu."""
        return [HUMAN_BUTTONS[who], MENU_BUTTON]


class ActionGoodbye(_Say):
    """Say goodbye with the hotline."""

    key = "goodbye"
    with_menu = False


class ActionThanks(_Say):
    """Answer thanks and offer the menu."""

    key = "thanks"


class ActionChitchat(_Say):
    """Answer small talk briefly and steer back to the menu."""

    key = "chitchat"
