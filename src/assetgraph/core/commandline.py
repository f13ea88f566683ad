"""What the management commands share: who is acting when a command says ``--user``, and
progress shown to a person at a terminal (never to a pipe)."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.serializers.json import DjangoJSONEncoder

from .actor import Actor, Source


def active_user(username: str) -> Any:
    """The active login called ``username``; an unknown one is a usage error (exit 2)."""
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"no active user {username!r}", returncode=2)
    return user


def cli_actor(username: str | None) -> Actor:
    """The system (no ``--user``) or that user's permissions, recorded with source ``cli``."""
    if not username:
        return Actor.system("cli", source=Source.CLI)
    return Actor(user=active_user(username), source=Source.CLI)


def on_terminal() -> bool:
    """Whether a person watches: progress goes to standard error only when it is a terminal,
    so piped or redirected output (scripts, ``| jq``, cron mail) stays clean."""
    return sys.stderr.isatty()


@contextlib.contextmanager
def working(message: str) -> Iterator[None]:
    """A spinner with ``message`` on standard error while a long step runs, on a terminal only."""
    if not on_terminal():
        yield
        return
    from rich.console import Console

    with Console(stderr=True).status(message):
        yield


# -- --json: one document on standard output -----------------------------------------------------


def add_json_flag(parser: Any) -> None:
    """The ``--json`` option every command that prints results offers."""
    parser.add_argument(
        "--json",
        action="store_true",
        help="print one JSON document on standard output (errors: a JSON error object)",
    )


def json_text(data: Any, indent: int | None = 2) -> str:
    """``data`` as the commands print it: machine-readable values (ISO dates and times,
    decimals as strings so no precision is lost, UUIDs as text), indented for people."""
    return json.dumps(data, cls=DjangoJSONEncoder, indent=indent, ensure_ascii=False)


class JsonCommand(BaseCommand):
    """A command with ``--json``: results are one JSON document on standard output; a failure
    still exits non-zero with its message on standard error (Django's ``CommandError``
    handling) and, with ``--json``, also prints ``{"error": …, "exit": N}`` on standard output
    so a script reading the document sees why there is none."""

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        # A command with sub-commands gives each its own --json (``requests list --json``).
        if not any(
            "--json" in action.option_strings or isinstance(action, argparse._SubParsersAction)
            for action in parser._actions
        ):
            add_json_flag(parser)
        return parser

    json_mode = False
    # Facts a failure adds to its JSON error object (where a broken chain breaks, say).
    error_details: dict[str, Any] | None = None

    def execute(self, *args: Any, **options: Any) -> Any:
        self.json_mode = bool(options.get("json"))
        try:
            return super().execute(*args, **options)
        except CommandError as exc:
            if options.get("json"):
                error = {"error": str(exc), "exit": exc.returncode, **(self.error_details or {})}
                self.stdout.write(json_text(error))
            raise

    def say(self, text: str) -> None:
        """A line for people: printed unless the run prints JSON."""
        if not self.json_mode:
            self.stdout.write(text)

    def write_json(self, data: Any) -> None:
        """Print ``data`` as the one JSON document of this run."""
        self.stdout.write(json_text(data))
