"""The asset lifecycle as data: states, their substates and the transition table.

Keeping the rules in one table (rather than in ``if`` chains across services) means the API,
the UI, the docs and the tests all read the same facts: which transitions exist, where they
may start, what they require and which dates they stamp. ``docs/assets.md`` renders it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .choices import AssetStateChoices as S
from .choices import AssetSubstateChoices as Sub

# Substates each state allows; the first is the default. An empty tuple means "no substate".
SUBSTATES: dict[str, tuple[str, ...]] = {
    S.ON_ORDER: (),
    S.IN_STOCK: (Sub.AVAILABLE, Sub.RESERVED, Sub.DEFECTIVE),
    S.IN_USE: (),
    S.IN_REPAIR: (),
    S.RETIRED: (Sub.DISPOSED, Sub.SOLD, Sub.DONATED, Sub.LOST, Sub.STOLEN),
    S.MISSING: (),
}
# States an asset may be created in (everything else is reached through a transition).
INITIAL_STATES = (S.ON_ORDER, S.IN_STOCK)
ANY = "*"


@dataclass(frozen=True)
class Transition:
    """One allowed move: from ``sources`` (state, substate-or-*) to ``target``.

    ``requires`` names inputs the caller must give: ``reason`` (free text, audited),
    ``disposal`` (a disposal record: recipient, date, certificate, proceeds). ``stamps`` names
    the asset date fields set to today. ``custody_only`` transitions happen only through
    check-out/check-in, which also maintain the custody history. ``takes_out_of_service``
    transitions preview what depends on the asset's CI and may need a confirmation
    (docs/both-layers.md).
    """

    name: str
    label: str
    sources: tuple[tuple[str, str], ...]
    target: str
    substates: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    stamps: tuple[str, ...] = ()
    custody_only: bool = False
    closes_custody: bool = False
    # Refused while a person holds the asset (check it in from them first).
    not_from_person: bool = False
    # Takes the asset's CI out of service: the caller sees what depends on it first, and
    # confirms when a tier-1 service would go down or a redundancy group loses its last spare.
    takes_out_of_service: bool = False

    def allows_from(self, state: str, substate: str) -> bool:
        """Whether an asset in ``state``/``substate`` may take this transition."""
        return any(s == state and sub in (ANY, substate) for s, sub in self.sources)

    def describe_sources(self) -> str:
        """The sources in words, for error messages and docs."""
        parts = []
        for state, sub in self.sources:
            label = S(state).label.lower()
            parts.append(label if sub == ANY else f"{label} ({Sub(sub).label.lower()})")
        return ", ".join(parts)

    def requirements(self, substate: str) -> tuple[str, ...]:
        """Inputs required for the chosen target substate."""
        needed = list(self.requires)
        if self.target == S.RETIRED and substate in DISPOSAL_SUBSTATES:
            needed.append("disposal")
        return tuple(needed)


STOCK_ANY = (S.IN_STOCK, ANY)
DISPOSAL_SUBSTATES = frozenset({Sub.DISPOSED, Sub.SOLD, Sub.DONATED})

TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in [
        Transition(
            "receive",
            "Receive into stock",
            ((S.ON_ORDER, ANY),),
            S.IN_STOCK,
            (Sub.AVAILABLE, Sub.DEFECTIVE),
            stamps=("received_date",),
        ),
        Transition(
            "reserve", "Reserve", ((S.IN_STOCK, Sub.AVAILABLE),), S.IN_STOCK, (Sub.RESERVED,)
        ),
        Transition(
            "release",
            "Release reservation",
            ((S.IN_STOCK, Sub.RESERVED),),
            S.IN_STOCK,
            (Sub.AVAILABLE,),
        ),
        Transition(
            "mark_defective",
            "Mark defective",
            ((S.IN_STOCK, Sub.AVAILABLE), (S.IN_STOCK, Sub.RESERVED)),
            S.IN_STOCK,
            (Sub.DEFECTIVE,),
            requires=("reason",),
        ),
        Transition(
            "send_to_repair",
            "Send to repair",
            (STOCK_ANY,),
            S.IN_REPAIR,
            requires=("reason",),
            takes_out_of_service=True,
        ),
        Transition(
            "return_from_repair",
            "Return from repair",
            ((S.IN_REPAIR, ANY),),
            S.IN_STOCK,
            (Sub.AVAILABLE, Sub.DEFECTIVE),
        ),
        Transition(
            "check_out",
            "Check out",
            ((S.IN_STOCK, Sub.AVAILABLE), (S.IN_STOCK, Sub.RESERVED)),
            S.IN_USE,
            stamps=("deployed_date",),
            custody_only=True,
        ),
        Transition(
            "check_in",
            "Check in",
            ((S.IN_USE, ANY),),
            S.IN_STOCK,
            (Sub.AVAILABLE, Sub.DEFECTIVE),
            custody_only=True,
        ),
        Transition(
            "report_missing",
            "Report missing",
            (STOCK_ANY, (S.IN_USE, ANY), (S.IN_REPAIR, ANY)),
            S.MISSING,
            requires=("reason",),
            closes_custody=True,
        ),
        Transition(
            "found", "Found", ((S.MISSING, ANY),), S.IN_STOCK, (Sub.AVAILABLE, Sub.DEFECTIVE)
        ),
        Transition(
            "retire",
            "Retire",
            (STOCK_ANY, (S.IN_REPAIR, ANY), (S.MISSING, ANY)),
            S.RETIRED,
            (Sub.DISPOSED, Sub.SOLD, Sub.DONATED, Sub.LOST, Sub.STOLEN),
            requires=("reason",),
            stamps=("retired_date",),
            takes_out_of_service=True,
        ),
        Transition(
            "decommission",
            "Decommission (in use, not held by a person)",
            ((S.IN_USE, ANY),),
            S.RETIRED,
            (Sub.DISPOSED, Sub.SOLD, Sub.DONATED),
            requires=("reason",),
            stamps=("retired_date",),
            closes_custody=True,
            not_from_person=True,
            takes_out_of_service=True,
        ),
        Transition(
            "report_lost_or_stolen",
            "Report lost or stolen (in use)",
            ((S.IN_USE, ANY),),
            S.RETIRED,
            (Sub.LOST, Sub.STOLEN),
            requires=("reason",),
            stamps=("retired_date",),
            closes_custody=True,
        ),
    ]
}


def available_transitions(state: str, substate: str) -> list[Transition]:
    """Transitions an asset in this state may take through the transition endpoint."""
    return [
        t for t in TRANSITIONS.values() if not t.custody_only and t.allows_from(state, substate)
    ]


def state_label(state: str, substate: str) -> str:
    """``In stock · available`` for display."""
    label = S(state).label
    return f"{label} · {Sub(substate).label.lower()}" if substate else label
