"""nlu_components/rasa_speedups.py: action server responses are validated as Rasa does."""

from __future__ import annotations

from tests.rasa.rasa_env import run_python

CHECK = """
import json, sys
import nlu_components  # installs the speed-up, as loading a model does
from jsonschema import ValidationError, validate
from rasa.core.actions.action import RemoteAction

action = RemoteAction("action_greet", None)
out = {"patched": getattr(RemoteAction, "_validator_built_once", False), "cases": []}
for result in json.load(sys.stdin):
    try:
        validate(result, RemoteAction.action_response_format_spec())
        upstream = "ok"
    except ValidationError as e:
        upstream = e.message
    try:
        ours = "ok" if action._validate_action_result(result) else "false"
    except ValidationError as e:
        ours = e.message
    out["cases"].append([upstream, ours])
print(json.dumps(out))
"""

RESULTS = [
    {"events": [{"event": "slot", "timestamp": None, "name": "pending", "value": "lesson"}],
     "responses": [{"text": "Chào bạn", "buttons": [{"title": "Menu", "payload": "/show_menu"}]}]},
    {"events": [], "responses": []},
    {"events": "not a list", "responses": []},
    {"events": [{"event": "slot", "name": 3}], "responses": []},
    {"events": [], "responses": ["not an object"]},
]


def test_responses_are_validated_as_rasa_does() -> None:
    out = run_python(CHECK, RESULTS)
    assert out["patched"] is True
    for upstream, ours in out["cases"]:
        if upstream == "ok":
            assert ours == "ok"
        else:
            assert ours.startswith(upstream) and "Failed to validate Action server response" in ours
    assert [ours == "ok" for _, ours in out["cases"]] == [True, True, False, False, False]
