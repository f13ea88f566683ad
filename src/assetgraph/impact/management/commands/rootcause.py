"""``assetgraph rootcause CI... | --person NAME --service NAME [--json]``: which single CI
failure best explains the symptoms, ranked with evidence (recent changes, status, paths)."""

from __future__ import annotations

import io
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assetgraph.core.commandline import json_text

from ...rootcause import RootCauseReport, run_root_cause
from ...schemas import root_cause_document
from ._common import add_user_argument, asking_user, run


class Command(BaseCommand):
    help = "Rank the likely root causes of symptom CIs, or of a person who cannot reach a service."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("symptoms", nargs="*", help="unavailable CIs: ids or exact names")
        parser.add_argument(
            "--degraded", action="append", default=[], help="a slow CI (repeat for more)"
        )
        parser.add_argument("--person", help="employee number, e-mail or name")
        parser.add_argument("--service", help="the CI the person cannot reach")
        parser.add_argument("--slow", action="store_true", help="the service is slow, not down")
        parser.add_argument("--window-days", type=int, default=7, help="change window (days)")
        parser.add_argument("--limit", type=int, default=10)
        add_user_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        if not (options["symptoms"] or options["degraded"]) and not (
            options.get("person") or options.get("service")
        ):
            raise CommandError("give symptom CIs, or --person and --service", returncode=2)
        user = asking_user(options.get("user"))
        report = run(
            lambda: run_root_cause(
                user,
                options["symptoms"],
                degraded=options["degraded"],
                person=options.get("person"),
                service=options.get("service"),
                slow=options["slow"],
                window_days=options["window_days"],
                limit=options["limit"],
            )
        )
        if options["json"]:
            self.stdout.write(json_text(root_cause_document(report)))
            return
        self.stdout.write(render(report))


def render(report: RootCauseReport) -> str:
    """A ranked table and the evidence of each candidate."""
    from rich.console import Console
    from rich.table import Table

    buffer = io.StringIO()
    console = Console(file=buffer, width=140)
    if report.person_path is not None:
        path = report.person_path
        console.print(f"[bold]{path.person} cannot reach {path.service}[/bold]")
        for chain in path.paths:
            console.print("  path: " + " → ".join(s.display for s in chain))
    slow = {c.pk for c in report.degraded}
    console.print(
        "symptoms: "
        + ", ".join(f"{s.name}{' (slow)' if s.pk in slow else ''}" for s in report.symptoms)
    )
    console.print(f"changes since {report.since:%Y-%m-%d %H:%M} count as evidence")
    table = Table(title=f"Candidates ({len(report.candidates)})")
    for column in ("#", "CI", "class", "explains", "evidence", "collateral", "why"):
        table.add_column(column)
    for cause in report.candidates:
        table.add_row(
            str(cause.rank),
            cause.ci.name,
            str(cause.ci.ci_class),
            f"{cause.coverage}/{len(report.symptoms)}",
            str(cause.evidence_points),
            f"{cause.collateral}{'+' if cause.collateral_truncated else ''}",
            "; ".join(cause.reasons),
        )
    console.print(table)
    if report.note:
        console.print(report.note)
    if report.hidden_candidates:
        console.print(f"{report.hidden_candidates} candidate(s) hidden (no permission)")
    return buffer.getvalue()
