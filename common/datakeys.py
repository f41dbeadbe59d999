"""Keys that encrypt message text at rest, shared by the gateway and Rasa's tracker store.

The keys come from DATA_KEYS (comma-separated Fernet keys, the first one encrypts, every one
decrypts: that is how a key is rotated), else DATA_KEY, else the file DATA_DIR/data.keys (one
key a line, created with mode 0600 on first use). Runs on Python 3.10 (Rasa) and 3.11.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Mapping, Optional, Sequence, Tuple

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

ROOT = Path(__file__).resolve().parent.parent
KEY_FILE = "data.keys"
TOKEN_PREFIX = "gAAAAA"  # every Fernet token begins with its version byte 0x80, base64-encoded


class DataKeyError(ValueError):
    """A data key is malformed or a stored value cannot be decrypted with the keys given."""


def parse_keys(raw: str) -> Tuple[str, ...]:
    """Keys from a comma- or newline-separated list, each checked to be a Fernet key."""
    keys = tuple(part.strip() for part in raw.replace("\n", ",").split(",") if part.strip())
    for key in keys:
        try:
            Fernet(key.encode("ascii"))
        except (ValueError, UnicodeEncodeError) as exc:
            raise DataKeyError(
                "a data key must be 32 url-safe base64-encoded bytes "
                "(make one with `python -m bot.cli rotate-keys --print-new-key`)"
            ) from exc
    return keys


def new_key() -> str:
    """A fresh random Fernet key."""
    return Fernet.generate_key().decode("ascii")


def data_dir_of(environ: Mapping[str, str]) -> Path:
    """DATA_DIR as the gateway reads it (default: var/ in the repository)."""
    return Path(environ.get("DATA_DIR", "").strip() or ROOT / "var").resolve()


def _private_copy(path: Path, content: str) -> Path:
    """A new file beside `path` with the content, readable by its owner only (0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(content)
    return temporary


def write_private(path: Path, content: str) -> None:
    """Replace a file atomically with content readable by its owner only (0600)."""
    os.replace(_private_copy(path, content), path)


def _create_once(path: Path) -> None:
    """Create the key file unless another process just did (two processes, one key)."""
    temporary = _private_copy(path, new_key() + "\n")
    try:
        os.link(temporary, path)  # fails if the file exists: the first writer wins
    except FileExistsError:
        pass
    finally:
        os.unlink(temporary)


def file_keys(data_dir: Path) -> Tuple[str, ...]:
    """The keys kept in DATA_DIR/data.keys, created on first use."""
    path = data_dir / KEY_FILE
    if not path.exists():
        _create_once(path)
    keys = parse_keys(path.read_text(encoding="utf-8"))
    if not keys:
        raise DataKeyError(f"{path} holds no key")
    return keys


def keys_from_environment(environ: Optional[Mapping[str, str]] = None) -> Tuple[str, ...]:
    """DATA_KEYS, else DATA_KEY; empty when neither is set."""
    env = os.environ if environ is None else environ
    return parse_keys(env.get("DATA_KEYS", "") or env.get("DATA_KEY", ""))


def load_keys(environ: Optional[Mapping[str, str]] = None) -> Tuple[str, ...]:
    """The data keys of this process: the environment's, else DATA_DIR's file."""
    env = os.environ if environ is None else environ
    return keys_from_environment(env) or file_keys(data_dir_of(env))


class TextCipher:
    """Authenticated encryption of text (Fernet: AES-128-CBC with HMAC-SHA256)."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise DataKeyError("no data key")
        self.keys = tuple(keys)
        self._fernet = MultiFernet([Fernet(k.encode("ascii")) for k in self.keys])

    def encrypt(self, plain: str) -> str:
        """A token of the text, encrypted with the first (primary) key."""
        return self._fernet.encrypt(plain.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        """The text of a token made with any of the keys."""
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeEncodeError) as exc:
            raise DataKeyError(
                "a stored value cannot be decrypted with DATA_KEYS / data.keys "
                "(a key was removed too early, or the data is not encrypted)"
            ) from exc

    def rotate(self, token: str) -> str:
        """The same text encrypted with the primary key (for key rotation)."""
        try:
            return self._fernet.rotate(token.encode("ascii")).decode("ascii")
        except InvalidToken as exc:
            raise DataKeyError("a stored value cannot be decrypted with the keys given") from exc


def is_token(value: str) -> bool:
    """Whether a stored value looks like a Fernet token (and not legacy clear text)."""
    return value.startswith(TOKEN_PREFIX)
