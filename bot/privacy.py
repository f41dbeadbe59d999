"""Pseudonymous ids and encrypted channel addresses: real platform ids never sit in clear text."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class Privacy:
    """Derives pseudonyms and encrypts the addresses needed to reply on a channel."""

    def __init__(self, secret: str) -> None:
        key = hashlib.sha256(secret.encode("utf-8")).digest()
        self._pseudonym_key = hmac.new(key, b"pseudonym", hashlib.sha256).digest()
        self._aead = AESGCM(hmac.new(key, b"address", hashlib.sha256).digest())

    def pseudonym(self, channel: str, platform_user_id: str) -> str:
        """A stable keyed hash of a channel user id: the only id kept and logged."""
        message = f"{channel}:{platform_user_id}".encode()
        return hmac.new(self._pseudonym_key, message, hashlib.sha256).hexdigest()[:32]

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
