"""Command line: `python -m bot.cli migrate | content-check | create-user | list-users |
disable-user | enable-user | unlock-user | reset-password | retention | rotate-keys`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from bot.settings import get_settings

Command = Callable[[argparse.Namespace], int]
COMMANDS: dict[str, tuple[str, Command, Callable[[argparse.ArgumentParser], None]]] = {}


def command(
    name: str, help_text: str, arguments: Callable[[argparse.ArgumentParser], None] = lambda p: None
) -> Callable[[Command], Command]:
    """Register a sub-command."""

    def wrap(func: Command) -> Command:
        COMMANDS[name] = (help_text, func, arguments)
        return func

    return wrap


@command("migrate", "apply database migrations (Alembic) to DATABASE_URL")
def migrate(_args: argparse.Namespace) -> int:
    """Bring the database to the latest schema; encrypt Rasa history stored in clear."""
    import asyncio

    from bot.keys_cli import after_upgrade, schema_revision
    from bot.storage.migrate import upgrade

    settings = get_settings()
    before = asyncio.run(schema_revision(settings.database_url))
    upgrade(settings.database_url)
    encrypted = asyncio.run(after_upgrade(settings.database_url, settings.rasa_tracker_url, before))
    print("database schema is up to date"
          + (f"; encrypted {encrypted} Rasa events stored in clear" if encrypted else ""))
    return 0


@command("content-check", "validate every file in content/ against its schema")
def content_check(_args: argparse.Namespace) -> int:
    """Validate content; the error names the file and the entry."""
    from common.content import ContentError, validate_all

    try:
        validate_all()
    except ContentError as exc:
        print(f"content error: {exc}", file=sys.stderr)
        return 1
    print("content is valid")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run one command."""
    from bot.storage.db import protect_files

    _load_extra_commands()
    settings = get_settings()
    protect_files(settings.data_dir, (settings.database_url, settings.rasa_tracker_url))
    parser = argparse.ArgumentParser(prog="kidsafe", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (help_text, _func, arguments) in COMMANDS.items():
        arguments(sub.add_parser(name, help=help_text))
    args = parser.parse_args(argv)
    return COMMANDS[args.command][1](args)


def _load_extra_commands() -> None:
    """Import the modules that register more commands (console accounts, retention)."""
    import importlib

    for module in ("bot.console.accounts_cli", "bot.retention", "bot.keys_cli"):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise


if __name__ == "__main__":
    # Run through the importable module so commands registered on `bot.cli` are found.
    from bot.cli import main as _main

    sys.exit(_main())
