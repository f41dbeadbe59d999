"""Validating all content at once, its summary, and the ``python -m common.content`` check."""

from __future__ import annotations

import sys
from typing import Optional, Sequence

from common.content.loading import (
    clear_cache,
    load_faq,
    load_hotlines,
    load_lessons,
    load_messages,
    load_quiz,
)
from common.content.reading import PathLike, content_dir_of
from common.content.schema import ContentError
from common.content.taxonomy import AGE_BANDS


def validate_all(content_dir: Optional[PathLike] = None) -> None:
    """Re-read and validate every content file, raising ContentError on the first problem."""
    clear_cache()
    load_lessons(content_dir)
    load_quiz(content_dir)
    load_faq(content_dir)
    load_hotlines(content_dir)
    load_messages(content_dir)


def summary(content_dir: Optional[PathLike] = None) -> str:
    """Return a short human summary of the loaded content."""
    lessons = load_lessons(content_dir)
    bands = ", ".join(f"{b}: {sum(x.age_band == b for x in lessons)}" for b in AGE_BANDS)
    topics = len({x.topic for x in lessons})
    return "\n".join(
        [
            f"lessons:  {len(lessons)} ({topics} topics; {bands})",
            f"quiz:     {len(load_quiz(content_dir))} questions",
            f"faq:      {len(load_faq(content_dir))} entries",
            f"hotlines: {', '.join(h.number for h in load_hotlines(content_dir))}",
            f"messages: {len(load_messages(content_dir))} texts",
        ]
    )


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Validate all content (optionally in another directory) and print a summary."""
    args = list(sys.argv[1:] if argv is None else argv)
    content_dir = args[0] if args else None
    try:
        validate_all(content_dir)
    except ContentError as exc:
        print(f"content error: {exc}", file=sys.stderr)
        return 1
    print(f"content OK ({content_dir_of(content_dir)})")
    print(summary(content_dir))
    return 0
