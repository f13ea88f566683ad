"""Change records as data: types, states and the transition table.

One table (rather than ``if`` chains across services) so the API, the UI, the CLI, the docs and
the tests read the same facts: which transitions exist, where they may start, what they require
and which timestamps they stamp. An impossible move is a 409 naming the rule.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models


class ChangeTypeChoices(models.TextChoices):
    """ITIL change types: how much scrutiny a change gets before it runs."""

    STANDARD = "standard", "Standard (pre-approved, low risk)"
    NORMAL = "normal", "Normal"
    EMERGENCY = "emergency", "Emergency"


class ChangeStateChoices(models.TextChoices):
    """Where a change record is in its life."""

    DRAFT = "draft", "Draft"
    SCHEDULED = "scheduled", "Scheduled"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


S = ChangeStateChoices
ANY = "*"
# States whose record may still be edited (window, CIs, description).
EDITABLE_STATES = frozenset({S.DRAFT, S.SCHEDULED})
# States that still matter for planning: a cancelled change never conflicts with anything.
FINAL_STATES = frozenset({S.COMPLETED, S.FAILED, S.CANCELLED})


@dataclass(frozen=True)
class ChangeTransition:
    """One allowed move: from ``sources`` (state, change type or ``*``) to ``target``.

    ``requires`` names what the caller must give or the record must hold: ``reason`` (free
    text, audited), ``window`` (planned start and end), ``cis`` (at least one CI). ``stamps``
    names the change's timestamp fields set to now.
    """

    name: str
    label: str
    sources: tuple[tuple[str, str], ...]
    target: str
    requires: tuple[str, ...] = ()
    stamps: tuple[str, ...] = ()

    def allows_from(self, state: str, change_type: str) -> bool:
        """Whether a change in ``state`` of ``change_type`` may take this transition."""
        return any(s == state and t in (ANY, change_type) for s, t in self.sources)

    def describe_sources(self) -> str:
        """The sources in words, for error messages and docs."""
        parts = []
        for state, change_type in self.sources:
            label = S(state).label.lower()
            parts.append(label if change_type == ANY else f"{label} ({change_type} changes)")
        return ", ".join(parts)


TRANSITIONS: dict[str, ChangeTransition] = {
    t.name: t
    for t in [
        ChangeTransition(
            "schedule",
            "Schedule",
            ((S.DRAFT, ANY),),
            S.SCHEDULED,
            requires=("window", "cis"),
        ),
        ChangeTransition("unschedule", "Back to draft", ((S.SCHEDULED, ANY),), S.DRAFT),
        ChangeTransition(
            "start",
            "Start",
            # An emergency change may start without being scheduled first.
            ((S.SCHEDULED, ANY), (S.DRAFT, ChangeTypeChoices.EMERGENCY)),
            S.IN_PROGRESS,
            requires=("window", "cis"),
            stamps=("actual_start",),
        ),
        ChangeTransition(
            "complete", "Complete", ((S.IN_PROGRESS, ANY),), S.COMPLETED, stamps=("actual_end",)
        ),
        ChangeTransition(
            "fail",
            "Mark failed",
            ((S.IN_PROGRESS, ANY),),
            S.FAILED,
            requires=("reason",),
            stamps=("actual_end",),
        ),
        ChangeTransition(
            "cancel",
            "Cancel",
            ((S.DRAFT, ANY), (S.SCHEDULED, ANY)),
            S.CANCELLED,
            requires=("reason",),
        ),
    ]
}


def available_transitions(state: str, change_type: str) -> list[ChangeTransition]:
    """Transitions a change in this state (and of this type) may take."""
    return [t for t in TRANSITIONS.values() if t.allows_from(state, change_type)]


def transitions_markdown() -> str:
    """The transition table as Markdown (``docs/changes.md`` shows it; a test compares)."""
    lines = ["| Transition | From | To | Requires |", "|---|---|---|---|"]
    for t in TRANSITIONS.values():
        requires = ", ".join(t.requires) or "—"
        lines.append(
            f"| `{t.name}` ({t.label}) | {t.describe_sources()} | {S(t.target).label.lower()} "
            f"| {requires} |"
        )
    return "\n".join(lines) + "\n"
