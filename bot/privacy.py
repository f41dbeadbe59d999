"""Pseudonymous ids and encrypted channel addresses: real platform ids never sit in clear text."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

REFERENCE_LENGTH = 32
NUMBERED_CHANNELS = frozenset({"telegram"})  # "update_id:message_id"; /xoa deletes by number
MAX_NUMBER = 20


def receipt_of(stored_reference: str) -> str:
    """The de-duplication reference inside a stored message reference."""
    return stored_reference.partition(":")[0]


class Privacy:
    """Derives pseudonyms and encrypts the addresses needed to reply on a channel."""

    def __init__(self, secret: str) -> None:
        key = hashlib.sha256(secret.encode("utf-8")).digest()
        self._pseudonym_key = hmac.new(key, b"pseudonym", hashlib.sha256).digest()
        self._reference_key = hmac.new(key, b"reference", hashlib.sha256).digest()
        self._aead = AESGCM(hmac.new(key, b"address", hashlib.sha256).digest())

    def pseudonym(self, channel: str, platform_user_id: str) -> str:
        """A stable keyed hash of a channel user id: the only id kept and logged."""
        message = f"{channel}:{platform_user_id}".encode()
        return hmac.new(self._pseudonym_key, message, hashlib.sha256).hexdigest()[:32]

    def reference(self, channel: str, platform_id: str) -> str:
        """A keyed hash of a platform message id (32 characters, whatever its length): the
        de-duplication key stored instead of the id, which may embed a user id."""
        message = f"{channel}:{platform_id}".encode("utf-8", "surrogatepass")
        return hmac.new(self._reference_key, message, hashlib.sha256).hexdigest()[:REFERENCE_LENGTH]

    def message_reference(self, channel: str, platform_id: str) -> str:
        """What a stored message keeps of its platform id: its reference, plus on Telegram the
        message number (a counter within one chat, no user id) that deleting it needs."""
        reference = self.reference(channel, platform_id)
        number = platform_id.rpartition(":")[2]
        if channel in NUMBERED_CHANNELS and ":" in platform_id and number.isdigit():
            return f"{reference}:{number[:MAX_NUMBER]}"
        return reference

    def address_key(self, address: str) -> str:
        """A keyed hash of a network address (login throttling keeps no address in clear)."""
        return self.reference("address", address)

    def seal(self, address: str) -> str:
        """Encrypt a platform chat id so the outbox can reply without storing it in clear."""
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, address.encode("utf-8"), b"address")
        return base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def open(self, sealed: str) -> str:
        """Decrypt an address sealed by :meth:`seal`."""
        raw = base64.urlsafe_b64decode(sealed.encode("ascii"))
        return self._aead.decrypt(raw[:12], raw[12:], b"address").decode("utf-8")


def short(pseudonym: str) -> str:
    """The form of a pseudonym used in logs."""
    return pseudonym[:10]
