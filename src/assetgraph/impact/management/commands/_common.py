"""What ``assetgraph impact`` and ``assetgraph rootcause`` share: who asks, and error codes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.management.base import CommandError, CommandParser

from assetgraph.core.commandline import active_user
from assetgraph.core.errors import NotFound, ServiceError

T = TypeVar("T")


@dataclass(frozen=True)
class Operator:
    """The shell's operator when no ``--user`` is given: sees the whole estate, like the
    other CLI commands acting as the system."""

    is_authenticated: bool = True
    is_active: bool = True
    is_superuser: bool = True
    pk: None = None


def add_user_argument(parser: CommandParser) -> None:
    parser.add_argument("--user", help="ask as this user (their permissions apply)")
    parser.add_argument("--json", action="store_true", help="print the API's JSON document")


def asking_user(username: str | None) -> Any:
    """The user whose permissions apply (exit 2 if unknown)."""
    return active_user(username) if username else Operator()


def run(call: Callable[[], T]) -> T:
    """Map domain errors to exit codes: not found = 1 (the question has no answer), bad
    input = 2 (usage)."""
    try:
        return call()
    except NotFound as exc:
        raise CommandError(exc.message, returncode=1) from exc
    except ServiceError as exc:
        code = 1 if exc.status in (403, 409) else 2
        raise CommandError(exc.message, returncode=code) from exc
