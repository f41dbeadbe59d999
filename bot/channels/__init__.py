"""Channels: registered on the app by bot.features."""

from __future__ import annotations

from sanic import Sanic


def register(app: Sanic) -> None:
    """Register this feature's blueprints and listeners on the app."""
