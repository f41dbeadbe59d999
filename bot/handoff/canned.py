"""Counsellors' canned responses (content/canned_responses.yml), loaded and validated like content.

Every group speaks to both a child and a parent; every hotline and closing text gives 111.
`validate_canned()` runs at start-up (bad content fails loudly, naming the file and entry).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from common.content import ContentError, PathLike
from common.content.checks import Entry
from common.content.reading import content_dir_of, label, read

FILE = "canned_responses.yml"
GROUPS = ("first_contact", "safety_check", "support", "hotline", "closing")
AUDIENCES = ("child", "parent")
MUST_GIVE_111 = frozenset({"hotline", "closing"})
FIELDS = ("id", "group", "audience", "title", "text")
MAX_TEXT = 1000


@dataclass(frozen=True)
class CannedResponse:
    """One canned response: what it is for, whom it speaks to, and its text."""

    id: str
    group: str
    audience: str
    title: str
    text: str

    def as_dict(self) -> dict[str, str]:
        """JSON form for the console."""
        return {"id": self.id, "group": self.group, "audience": self.audience,
                "title": self.title, "text": self.text}


def _response(entry: Entry) -> CannedResponse:
    response = CannedResponse(
        id=entry.ident("id"), group=entry.choice("group", GROUPS),
        audience=entry.choice("audience", AUDIENCES), title=entry.text("title"),
        text=entry.text("text"),
    )
    if len(response.text) > MAX_TEXT:
        entry.fail(f"'text' must be at most {MAX_TEXT} characters")
    if response.group in MUST_GIVE_111 and "111" not in response.text:
        entry.fail(f"a {response.group} text must give 111")
    return response


@lru_cache(maxsize=4)
def _load(content_dir: str) -> tuple[CannedResponse, ...]:
    where = label(content_dir, FILE)
    raw = read(content_dir, FILE, "canned_responses")
    if not isinstance(raw, list) or not raw:
        raise ContentError(f"{where}: 'canned_responses' must be a non-empty list")
    responses: list[CannedResponse] = []
    for index, item in enumerate(raw):
        ident = item.get("id") if isinstance(item, dict) else None
        response = _response(Entry(f"{where}: canned_responses[{index}] (id={ident})", item,
                                   FIELDS))
        if any(r.id == response.id for r in responses):
            raise ContentError(f"{where}: canned_responses[{index}]: duplicate id {response.id!r}")
        responses.append(response)
    for group in GROUPS:
        for audience in AUDIENCES:
            if not any(r.group == group and r.audience == audience for r in responses):
                raise ContentError(f"{where}: group {group!r} has no text for a {audience}")
    return tuple(responses)


def load_canned(content_dir: PathLike | None = None) -> tuple[CannedResponse, ...]:
    """Every canned response, in file order."""
    return _load(content_dir_of(content_dir))


def validate_canned(content_dir: PathLike | None = None) -> None:
    """Re-read and validate the file, raising ContentError on the first problem."""
    _load.cache_clear()
    load_canned(content_dir)
