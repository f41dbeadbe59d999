"""Field checks for one content entry; every failure names the file and the entry."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Sequence, Tuple

from common.content.schema import ContentError, Option

ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_OPTION_KEY_RE = re.compile(r"^[a-d]$")
MAX_ID_LEN = 40
_FROM_FIELD: Any = object()


class Entry:
    """Field checks for one entry, raising ContentError that names file and entry."""

    def __init__(self, where: str, raw: Any, fields: Sequence[str]) -> None:
        self.where = where
        if not isinstance(raw, dict):
            self.fail(f"must be a mapping with fields {', '.join(fields)}")
        self.raw: Dict[str, Any] = raw
        unknown = sorted(str(k) for k in raw if k not in fields)
        if unknown:
            self.fail(f"unexpected field(s): {', '.join(unknown)}")
        for name in fields:
            if name not in raw:
                self.fail(f"missing '{name}'")

    def fail(self, message: str) -> None:
        """Raise a ContentError for this entry."""
        raise ContentError(f"{self.where}: {message}")

    def text(self, name: str, value: Any = _FROM_FIELD, label: Optional[str] = None) -> str:
        """Return a non-empty string field, with runs of whitespace squeezed."""
        value = self.raw[name] if value is _FROM_FIELD else value
        label = label or name
        if not isinstance(value, str):
            self.fail(f"'{label}' must be text, got {type(value).__name__}")
        stripped = " ".join(value.split())
        if not stripped:
            self.fail(f"'{label}' must not be empty")
        return stripped

    def ident(self, name: str, pattern: "re.Pattern[str]" = ID_RE) -> str:
        """Return a snake_case ASCII identifier field."""
        value = self.text(name)
        if not pattern.match(value) or len(value) > MAX_ID_LEN:
            self.fail(
                f"'{name}' must be snake_case ASCII (a-z, 0-9, _), at most {MAX_ID_LEN} "
                f"characters, got {value!r}"
            )
        return value

    def choice(self, name: str, allowed: Sequence[str]) -> str:
        """Return a field whose value must be one of `allowed`."""
        value = self.raw[name]
        if not isinstance(value, str) or value not in allowed:
            self.fail(f"'{name}' must be one of {', '.join(allowed)}, got {value!r}")
        return str(value)

    def options(self, raw: Any, answer: Any, prefix: str = "") -> Tuple[Tuple[Option, ...], str]:
        """Return 2-4 options with unique keys a-d and the answer, which must be one of them."""
        label = f"{prefix}options"
        if not isinstance(raw, list) or not 2 <= len(raw) <= 4:
            self.fail(f"'{label}' must be a list of 2 to 4 options")
        result: List[Option] = []
        for i, item in enumerate(raw):
            opt_label = f"{label}[{i}]"
            if not isinstance(item, dict) or set(item) != {"key", "text"}:
                self.fail(f"'{opt_label}' must have exactly the fields key, text")
            key = item["key"]
            if not isinstance(key, str) or not _OPTION_KEY_RE.match(key):
                self.fail(f"'{opt_label}.key' must be one of a, b, c, d, got {key!r}")
            if any(o.key == key for o in result):
                self.fail(f"'{opt_label}.key' {key!r} is used twice")
            result.append(Option(key=key, text=self.text("", item["text"], f"{opt_label}.text")))
        keys = [o.key for o in result]
        if not isinstance(answer, str) or answer.strip().lower() not in keys:
            self.fail(
                f"'{prefix}answer' must be one of the option keys ({', '.join(keys)}), "
                f"got {answer!r}"
            )
        return tuple(result), str(answer).strip().lower()


def entries(label: str, top_key: str, raw: Any) -> List[Any]:
    """The entries of a file: a non-empty list, or a ContentError."""
    if not isinstance(raw, list) or not raw:
        raise ContentError(f"{label}: '{top_key}' must be a non-empty list")
    return raw


def unique(label: str, kind: str, values: Sequence[Tuple[str, str]]) -> None:
    """Fail on the first value that appears twice, naming both places."""
    seen: Dict[str, str] = {}
    for where, value in values:
        if value in seen:
            raise ContentError(
                f"{label}: {where}: duplicate {kind} {value!r} (first at {seen[value]})"
            )
        seen[value] = where


def where_of(label: str, list_name: str, index: int, item: Any, id_field: str) -> str:
    """How an entry is named in errors, e.g. ``content/quiz.yml: questions[3] (id=q_x)``."""
    ident = item.get(id_field) if isinstance(item, dict) else None
    named = f" ({id_field}={ident})" if ident is not None and ident != "" else ""
    return f"{label}: {list_name}[{index}]{named}"
