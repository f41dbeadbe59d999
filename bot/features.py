"""Feature blueprints beyond the web chat: console and channel webhooks."""

from __future__ import annotations

from sanic import Sanic

from bot import channels, console


def register_features(app: Sanic) -> None:
    """Register the console and the channel webhooks on the app."""
    console.register(app)
    channels.register(app)
