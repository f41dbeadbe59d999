"""Run by the tests in .venv-rasa (Python 3.10): save one conversation through the project's
encrypted tracker store and read it back, as the Rasa server does; prints what was read."""

import asyncio
import json
import sys

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_addons.tracker_store import EncryptedSQLTrackerStore


async def main(sender: str, text: str, options: dict) -> None:
    """Save, then retrieve through a second store (a restarted Rasa)."""
    events = [ActionExecuted("action_session_start"), SessionStarted(),
              ActionExecuted("action_listen"),
              UserUttered(text, {"name": "greet", "confidence": 1.0})]
    store = EncryptedSQLTrackerStore(domain=Domain.empty(), **options)
    await store.save(DialogueStateTracker.from_events(sender, events))
    again = EncryptedSQLTrackerStore(domain=Domain.empty(), **options)
    tracker = await again.retrieve(sender)
    texts = [e.text for e in tracker.events if isinstance(e, UserUttered)] if tracker else []
    print(json.dumps({"texts": texts}))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], json.loads(sys.argv[3])))
