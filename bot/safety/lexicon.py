"""Load and validate content/safety/lexicon.yml once; a bad entry fails loudly, naming it."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.safety.patterns import Compiled, PatternError, compile_pattern
from bot.safety.result import CATEGORIES, RiskLevel

REPO_DIR = Path(__file__).resolve().parents[2]
LEXICON_DIR = REPO_DIR / "content" / "safety" / "lexicon"
COMMON_FILE = "common.yml"

_ID_RE = re.compile(r"^[a-z][a-z0-9_]*\.[a-z0-9_]+$")
_TOP_KEYS = {"version", "gap", "spellings", "lists", "idioms", "general", "request_human", "cues"}
_RULE_KEYS = {"id", "category", "risk", "patterns", "unless", "requires", "question_ok", "example",
              "not"}
_GENERAL_KEYS = {"markers", "disclosure", "topics"}


class LexiconError(ValueError):
    """The safety lexicon is malformed; the message names the file and the entry."""


@dataclass(frozen=True)
class Rule:
    """One risk rule: matches if a pattern is found, a `requires` is present and no `unless`."""

    id: str
    category: str
    risk: RiskLevel
    patterns: tuple[Compiled, ...]
    unless: tuple[Compiled, ...] = ()
    requires: tuple[Compiled, ...] = ()
    question_ok: bool = True
    examples: tuple[str, ...] = ()  # messages this rule must match (checked by the tests)
    counter_examples: tuple[str, ...] = ()  # near misses it must not match
    source: str = ""  # the file the rule is in


@dataclass(frozen=True)
class Lexicon:
    """The compiled lexicon: idioms to mask, general-question markers, human requests, rules."""

    path: str
    spellings: Mapping[str, str]
    idioms: tuple[tuple[str, Compiled], ...]
    markers: tuple[Compiled, ...]
    disclosure: tuple[Compiled, ...]
    topics: tuple[Compiled, ...]
    request_human: tuple[Compiled, ...]
    rules: tuple[Rule, ...]
    cues: tuple[tuple[str, tuple[Compiled, ...]], ...] = ()


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO_DIR))
    except ValueError:
        return str(path)


class _Loader:
    """Validates the raw YAML entry by entry, so every error names where it is."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.name = _display(directory / COMMON_FILE)
        self.raw = self.read(directory / COMMON_FILE)
        self.lists: dict[str, list[str]] = {}
        self.gap = 4

    def read(self, path: Path) -> dict[str, Any]:
        """One YAML file of the lexicon as a mapping; errors name the file."""
        self.name = _display(path)
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise LexiconError(f"{self.name}: cannot read: {exc}") from exc
        if not isinstance(raw, dict):
            raise LexiconError(f"{self.name}: expected a mapping at the top")
        return raw

    def fail(self, where: str, why: str) -> LexiconError:
        """An error naming the file, the entry and the reason."""
        return LexiconError(f"{self.name}: {where}: {why}")

    def strings(self, value: object, where: str, *, allow_empty: bool = False) -> list[str]:
        """A list of non-empty strings, or an error."""
        if value is None and allow_empty:
            return []
        if not isinstance(value, list) or (not value and not allow_empty):
            raise self.fail(where, "expected a non-empty list of strings")
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                raise self.fail(f"{where}[{i}]", f"expected a non-empty string, got {item!r}")
        return [str(v) for v in value]

    def compile_all(self, sources: Sequence[str], where: str) -> tuple[Compiled, ...]:
        """Compile patterns, naming the failing one."""
        out = []
        for i, source in enumerate(sources):
            try:
                out.append(compile_pattern(source, self.lists, self.gap))
            except PatternError as exc:
                raise self.fail(f"{where}[{i}]", str(exc)) from exc
        return tuple(out)

    def load(self) -> Lexicon:
        """Validate everything and build the compiled lexicon."""
        raw = self.raw
        self.name = _display(self.directory / COMMON_FILE)
        unknown = set(raw) - _TOP_KEYS
        if unknown:
            raise self.fail("top level", f"unknown keys {sorted(unknown)}")
        if raw.get("version") != 1:
            raise self.fail("version", "must be 1")
        gap = raw.get("gap", 4)
        if not isinstance(gap, int) or isinstance(gap, bool) or not 1 <= gap <= 10:
            raise self.fail("gap", f"must be a whole number from 1 to 10, got {gap!r}")
        self.gap = gap
        lists = raw.get("lists") or {}
        if not isinstance(lists, dict):
            raise self.fail("lists", "expected a mapping of name: [words]")
        for key, words in lists.items():
            if not isinstance(key, str) or not re.fullmatch(r"\w+", key):
                raise self.fail(f"lists.{key}", "list names are single words")
            self.lists[key] = self.strings(words, f"lists.{key}")
        general = raw.get("general") or {}
        if not isinstance(general, dict) or set(general) - _GENERAL_KEYS:
            raise self.fail("general", f"expected a mapping with keys {sorted(_GENERAL_KEYS)}")
        return Lexicon(
            path=self.name,
            spellings=self.spellings(raw.get("spellings")),
            idioms=self.idioms(raw.get("idioms")),
            markers=self.compile_all(
                self.strings(general.get("markers"), "general.markers"), "general.markers"
            ),
            disclosure=self.compile_all(
                self.strings(general.get("disclosure"), "general.disclosure"), "general.disclosure"
            ),
            topics=self.compile_all(
                self.strings(general.get("topics"), "general.topics", allow_empty=True),
                "general.topics",
            ),
            request_human=self.compile_all(
                self.strings(raw.get("request_human"), "request_human"), "request_human"
            ),
            cues=self.cues(raw.get("cues")),
            rules=self.category_rules(),
        )

    def category_rules(self) -> tuple[Rule, ...]:
        """The rules of every category file (`<category>.yml`), in category order."""
        rules: list[Rule] = []
        seen: set[str] = set()
        files = {p.stem: p for p in self.directory.glob("*.yml") if p.name != COMMON_FILE}
        unknown = set(files) - set(CATEGORIES)
        if unknown:
            raise LexiconError(f"{_display(self.directory)}: files for unknown categories "
                               f"{sorted(unknown)}; one file per category of {CATEGORIES}")
        for category in CATEGORIES:
            if category not in files:
                continue
            raw = self.read(files[category])
            if set(raw) != {"rules"}:
                raise self.fail("top level", "a category file holds only `rules`")
            for rule in self.rules(raw["rules"], category, seen):
                rules.append(rule)
        if not rules:
            raise LexiconError(f"{_display(self.directory)}: no rules")
        return tuple(rules)

    def cues(self, value: object) -> tuple[tuple[str, tuple[Compiled, ...]], ...]:
        """Grooming cues: name -> patterns; they never escalate alone, the triage adds them up."""
        if value is None:
            return ()
        if not isinstance(value, dict):
            raise self.fail("cues", "expected a mapping of cue name: [patterns]")
        return tuple(
            (str(name), self.compile_all(self.strings(patterns, f"cues.{name}"), f"cues.{name}"))
            for name, patterns in value.items()
        )

    def spellings(self, value: object) -> dict[str, str]:
        """Extra spellings the screen reads as another word: one word to one or more words."""
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail("spellings", "expected a mapping of word: replacement")
        out: dict[str, str] = {}
        for key, replacement in value.items():
            where = f"spellings.{key}"
            word = unicodedata.normalize("NFC", str(key)).lower()
            if not re.fullmatch(r"\w+", word):
                raise self.fail(where, "a spelling is a single word")
            if not isinstance(replacement, str) or not replacement.strip():
                raise self.fail(where, f"expected a non-empty replacement, got {replacement!r}")
            out[word] = unicodedata.normalize("NFC", replacement).lower().strip()
        return out

    def idioms(self, value: object) -> tuple[tuple[str, Compiled], ...]:
        """Idiom groups: id plus patterns that are masked before the rules run."""
        if value is None:
            return ()
        if not isinstance(value, list):
            raise self.fail("idioms", "expected a list")
        out: list[tuple[str, Compiled]] = []
        for i, entry in enumerate(value):
            where = f"idioms[{i}]"
            if not isinstance(entry, dict) or set(entry) != {"id", "patterns"}:
                raise self.fail(where, "expected exactly the keys id and patterns")
            where = f"idioms[{i}] (id={entry['id']})"
            patterns = self.compile_all(
                self.strings(entry["patterns"], f"{where}.patterns"), f"{where}.patterns"
            )
            out.extend((str(entry["id"]), p) for p in patterns)
        return tuple(out)

    def rules(self, value: object, category: str, seen: set[str]) -> list[Rule]:
        """One category file's rules, each checked for id, category, risk and patterns."""
        if not isinstance(value, list) or not value:
            raise self.fail("rules", "expected a non-empty list")
        out: list[Rule] = []
        for i, entry in enumerate(value):
            if not isinstance(entry, dict):
                raise self.fail(f"rules[{i}]", "expected a mapping")
            rule_id = entry.get("id")
            where = f"rules[{i}] (id={rule_id})"
            if not isinstance(rule_id, str) or not _ID_RE.match(rule_id):
                raise self.fail(where, "id must look like category.name (lower case)")
            if rule_id in seen:
                raise self.fail(where, "duplicate id")
            seen.add(rule_id)
            unknown = set(entry) - _RULE_KEYS
            if unknown:
                raise self.fail(where, f"unknown keys {sorted(unknown)}")
            if entry.get("category") != category:
                raise self.fail(where, f"category must be {category} in {category}.yml")
            if entry.get("risk") not in ("concern", "high", "imminent"):
                raise self.fail(where, "risk must be concern, high or imminent")
            question_ok = entry.get("question_ok", True)
            if not isinstance(question_ok, bool):
                raise self.fail(where, "question_ok must be true or false")
            out.append(
                Rule(
                    id=rule_id,
                    category=category,
                    risk=RiskLevel(entry["risk"]),
                    patterns=self.compile_all(
                        self.strings(entry.get("patterns"), f"{where}.patterns"),
                        f"{where}.patterns",
                    ),
                    unless=self._optional(entry, "unless", where),
                    requires=self._optional(entry, "requires", where),
                    question_ok=question_ok,
                    examples=self._texts(entry.get("example"), f"{where}.example"),
                    counter_examples=self._texts(entry.get("not"), f"{where}.not"),
                    source=self.name,
                )
            )
        return out

    def _texts(self, value: object, where: str) -> tuple[str, ...]:
        """An example field: one string or a list of them."""
        if value is None:
            return ()
        return tuple(self.strings([value] if isinstance(value, str) else value, where))

    def _optional(self, entry: Mapping[str, Any], key: str, where: str) -> tuple[Compiled, ...]:
        if key not in entry:
            return ()
        return self.compile_all(self.strings(entry[key], f"{where}.{key}"), f"{where}.{key}")


def load_lexicon(directory: str | Path | None = None) -> Lexicon:
    """Load, validate and compile a lexicon folder (the project's own by default)."""
    return _Loader(Path(directory) if directory else LEXICON_DIR).load()
