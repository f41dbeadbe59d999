"""Run custom actions with rasa-sdk's CollectingDispatcher (Rasa env, like financial-demo's tests).

Reads a JSON object {name: case} on stdin, where a case is {"action", "tracker"} and the tracker
is a rasa-sdk tracker state (sender_id, slots, latest_message, events); prints one JSON line
{name: {"messages": the dispatcher's messages, "events": the returned events}}.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import sys
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions


def registry() -> dict[str, Action]:
    """Every concrete action of the actions package, by name."""
    found: dict[str, Action] = {}
    for module in pkgutil.iter_modules(actions.__path__):
        loaded = importlib.import_module(f"actions.{module.name}")
        for _, cls in inspect.getmembers(loaded, inspect.isclass):
            if (issubclass(cls, Action) and cls.__module__ == loaded.__name__
                    and not cls.__name__.startswith("_")):
                action = cls()
                try:
                    found[action.name()] = action
                except NotImplementedError:
                    continue
    return found


def run(action: Action, state: dict[str, Any]) -> dict[str, Any]:
    """One action on one tracker: what it said and the events it returned."""
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, Tracker.from_dict(state), {})
    return {"messages": dispatcher.messages, "events": events}


def main() -> int:
    """Run every case read from stdin."""
    cases = json.load(sys.stdin)
    actions_by_name = registry()
    out = {
        name: run(actions_by_name[case["action"]], case["tracker"]) for name, case in cases.items()
    }
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
