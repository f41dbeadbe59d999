"""The gateway's own texts, read from content/messages.yml."""

from __future__ import annotations

from common.content import load_messages


def text(key: str, **fields: object) -> str:
    """The text for a purpose, with its `{fields}` filled in; a missing key fails loudly."""
    messages = load_messages()
    if key not in messages:
        raise KeyError(f"content/messages.yml: no message '{key}'")
    template = messages[key]
    return template.format(**fields) if fields else template
