"""What the management commands share: who is acting when a command says ``--user``, and
progress shown to a person at a terminal (never to a pipe)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

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
