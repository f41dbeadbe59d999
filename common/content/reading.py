"""Reading one content file: YAML that refuses duplicate keys, errors that name the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Optional, Union

import yaml

from common.content.schema import ContentError

CONTENT_DIR = Path(__file__).resolve().parents[2] / "content"

PathLike = Union[str, Path]


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses duplicate mapping keys instead of silently keeping the last."""


def _construct_unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> Dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: Dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen[key] = loader.construct_object(value_node, deep=True)
    return seen


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping
)


def content_dir_of(content_dir: Optional[PathLike]) -> str:
    """The content directory as an absolute path string (the default when None)."""
    return str(Path(content_dir).resolve()) if content_dir is not None else str(CONTENT_DIR)


def label(content_dir: str, filename: str) -> str:
    """How errors name a file: its directory's name and the file name."""
    return f"{Path(content_dir).name}/{filename}"


def read(content_dir: str, filename: str, top_key: str) -> Any:
    """Read one YAML file and return the value under its top-level key."""
    where = label(content_dir, filename)
    path = Path(content_dir) / filename
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContentError(f"{where}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ContentError(f"{where}: cannot read file ({exc})") from exc
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise ContentError(f"{where}: invalid YAML: {exc.problem or exc}{at}") from exc
    except yaml.YAMLError as exc:
        raise ContentError(f"{where}: invalid YAML: {exc}") from exc
    if not isinstance(data, dict) or top_key not in data:
        raise ContentError(f"{where}: top-level key '{top_key}' is missing")
    extra = sorted(str(k) for k in data if k != top_key)
    if extra:
        raise ContentError(f"{where}: unexpected top-level key(s): {', '.join(extra)}")
    return data[top_key]
