"""Who performs a write, from where, and under which request or job.

Every service takes an :class:`Actor` first. The audit spine records it; permission checks use
its user. System actors (migrations, the demo loader, the sealer) have no user and bypass
permission checks by design: they are code, not people.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.http import HttpRequest


class Source(StrEnum):
    """The surface a write came through."""

    UI = "ui"
    API = "api"
    CLI = "cli"
    IMPORT = "import"
    DISCOVERY = "discovery"
    SYSTEM = "system"


class ActorType(StrEnum):
    """What kind of principal performed a write."""

    USER = "user"
    TOKEN = "token"  # noqa: S105 - an actor kind, not a secret
    SYSTEM = "system"
    IMPORT_JOB = "import_job"


def _new_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class Actor:
    """The principal of a service call (user or system) with its provenance."""

    user: Any = None
    source: Source = Source.SYSTEM
    token_id: int | None = None
    request_id: str = field(default_factory=_new_id)
    job_id: str = ""
    label: str = ""

    @property
    def is_system(self) -> bool:
        """True for code-driven writes that bypass permission checks."""
        return self.user is None

    @property
    def actor_type(self) -> ActorType:
        """The kind of principal, for the audit event."""
        if self.user is None:
            return ActorType.IMPORT_JOB if self.job_id else ActorType.SYSTEM
        return ActorType.TOKEN if self.token_id else ActorType.USER

    @property
    def display(self) -> str:
        """A human-readable name kept on the audit event even if the user is later renamed."""
        if self.user is not None:
            return str(self.user.get_username())
        return self.label or str(self.source)

    @classmethod
    def system(
        cls, label: str = "system", source: Source = Source.SYSTEM, job_id: str = ""
    ) -> Actor:
        """An actor for code-driven writes (demo loader, migrations, scheduled jobs)."""
        return cls(user=None, source=source, label=label, job_id=job_id)

    @classmethod
    def from_request(cls, request: HttpRequest, source: Source) -> Actor:
        """The actor behind a web or API request, carrying its request id and API token."""
        token = getattr(request, "auth_token", None)
        return cls(
            user=request.user,
            source=source,
            token_id=token.pk if token is not None else None,
            request_id=getattr(request, "request_id", "") or _new_id(),
        )

    def for_job(self, job_id: str, source: Source = Source.IMPORT) -> Actor:
        """The same principal acting inside a job (an import), keeping the job id."""
        return Actor(
            user=self.user,
            source=source,
            token_id=self.token_id,
            request_id=self.request_id,
            job_id=job_id,
            label=self.label,
        )


def api_actor(request: HttpRequest) -> Actor:
    """The actor of an API request (source ``api``)."""
    return Actor.from_request(request, Source.API)


def ui_actor(request: HttpRequest) -> Actor:
    """The actor of a page request (source ``ui``)."""
    return Actor.from_request(request, Source.UI)
