"""``assetgraph impact CI [CI...] [--as-of T] [--json]``: what a failure of these CIs takes
down or degrades, which users lose services, who to tell, and which assets on the path are out
of warranty."""

from __future__ import annotations

import io
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from assetgraph.core.commandline import json_text, working

from ...analysis import STATES, ImpactReport, run_impact
from ...schemas import impact_document
from ._common import add_user_argument, asking_user, run


class Command(BaseCommand):
    help = "Impact of a failure of one or more CIs (ids or exact names)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("cis", nargs="+", help="failed CIs: ids or exact names")
        parser.add_argument("--as-of", help="ISO timestamp: the estate as it was then")
        parser.add_argument("--state", choices=STATES, help="detail filter")
        parser.add_argument("--limit", type=int, default=50, help="detail rows (max 500)")
        parser.add_argument("--offset", type=int, default=0)
        parser.add_argument(
            "--details",
            action="store_true",
            help="every table (services, users, teams, people, flags, affected CIs)",
        )
        add_user_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        user = asking_user(options.get("user"))
        with working("Analysing the impact…"):
            report = run(
                lambda: run_impact(
                    user,
                    options["cis"],
                    options.get("as_of"),
                    state=options.get("state"),
                    limit=options["limit"],
                    offset=options["offset"],
                )
            )
        if options["json"]:
            self.stdout.write(json_text(impact_document(report)))
            return
        self.stdout.write(render(report) if options["details"] else summary(report))


def _names(items: list[Any], cap: int = 5) -> str:
    """The first few names and how many more ("Finance, Payroll and 3 more")."""
    names = [item.ci.name for item in items]
    if len(names) <= cap:
        return ", ".join(names)
    return f"{', '.join(names[:cap])} and {len(names) - cap} more"


def summary(report: ImpactReport) -> str:
    """The answer first, in a few lines: what goes down, who is affected, who to tell.

    Why: at an incident the first question is "how bad is it"; the tables follow with
    ``--details`` (or ``--json`` for a script).
    """
    failed = ", ".join(f"{c.name} (#{c.pk})" for c in report.failed)
    when = f" as of {report.as_of:%Y-%m-%d %H:%M}" if report.as_of else ""
    verb = "fails" if len(report.failed) == 1 else "fail"
    hidden = f", {report.hidden} hidden" if report.hidden else ""
    lines = [
        f"If {failed} {verb}{when}:",
        f"  infrastructure: {report.total} affected ({report.down} down, "
        f"{report.degraded} degraded{hidden})",
    ]
    for title, rows in (
        ("business services", report.services),
        ("applications", report.applications),
    ):
        down = [r for r in rows if r.state == "down"]
        degraded = [r for r in rows if r.state != "down"]
        if down:
            lines.append(f"  {title} down: {_names(down)}")
        if degraded:
            lines.append(f"  {title} degraded: {_names(degraded)}")
        if not rows:
            lines.append(f"  {title}: none affected")
    users = report.users
    lines.append(
        f"  users: {users.people} people on {users.endpoints} devices "
        f"({users.service_lost} lost a service, {users.service_degraded} degraded)"
    )
    lines.append(f"  notify: {len(report.teams)} teams, {len(report.people)} people")
    expired = sum(1 for f in report.flags if f.warranty_expired)
    lines.append(
        f"  flags on the path: {len(report.flags)} ITAM ({expired} out of warranty), "
        f"{len(report.business_flags)} business"
    )
    money = report.money
    if money.down_monthly_cost:
        cost = " + ".join(f"{m.amount} {m.currency}" for m in money.down_monthly_cost)
        lines.append(f"  monthly cost of the services that go down: {cost}")
    if report.truncated:
        lines.append(f"  (lists cut: {', '.join(report.truncated)})")
    lines.append("details: --details (tables), --json (the API's document)")
    return "\n".join(lines) + "\n"


def render(report: ImpactReport) -> str:
    """Rich tables for a human at a terminal."""
    from rich.console import Console
    from rich.table import Table

    buffer = io.StringIO()
    console = Console(file=buffer, width=140)
    failed = ", ".join(f"{c.name} (#{c.pk})" for c in report.failed)
    when = f" as of {report.as_of:%Y-%m-%d %H:%M}" if report.as_of else ""
    verb = "fails" if len(report.failed) == 1 else "fail"
    console.print(f"[bold]If {failed} {verb}{when}[/bold]")
    hidden = f", {report.hidden} hidden" if report.hidden else ""
    console.print(
        f"infrastructure affected: {report.total} ({report.down} down, "
        f"{report.degraded} degraded{hidden}); users affected: {report.users.people} people "
        f"on {report.users.endpoints} devices"
    )
    for title, rows in (
        ("Business services", report.services),
        ("Applications", report.applications),
    ):
        table = Table(title=f"{title} ({len(rows)})")
        for column in ("state", "CI", "depth", "path"):
            table.add_column(column)
        for item in rows:
            table.add_row(
                item.state, item.ci.name, str(item.depth), " → ".join(s.display for s in item.path)
            )
        console.print(table)
    classes = Table(title="Affected CIs by class")
    for column in ("class", "down", "degraded"):
        classes.add_column(column)
    for count in report.by_class:
        classes.add_row(count.ci_class.name, str(count.down), str(count.degraded))
    console.print(classes)
    users = Table(title=f"Users affected, by the service they use ({report.users.people} people)")
    for column in ("service", "state", "people", "devices"):
        users.add_column(column)
    for row in report.users.by_service:
        users.add_row(row.service.name, row.state, str(row.people), str(row.endpoints))
    console.print(users)
    teams = Table(title=f"Teams to notify ({len(report.teams)})")
    for column in ("team", "failed", "owns", "supports", "down", "devices", "services"):
        teams.add_column(column)
    for team in report.teams:
        teams.add_row(
            team.team.name,
            str(team.failed),
            str(team.owns),
            str(team.supports),
            str(team.down),
            str(team.endpoints),
            ", ".join(team.services),
        )
    console.print(teams)
    people = Table(title=f"People to notify ({len(report.people)}): owners, then users")
    for column in ("person", "role", "listed under", "e-mail", "why"):
        people.add_column(column)
    for person in report.people:
        people.add_row(
            str(person.person),
            person.role,
            person.group.name if person.group is not None else "",
            person.person.email,
            "; ".join(person.reasons),
        )
    console.print(people)
    flags = Table(title=f"ITAM flags on the impact path ({len(report.flags)})")
    for column in ("CI", "state", "asset", "warranty end", "end of life"):
        flags.add_column(column)
    for flag in report.flags:
        flags.add_row(
            flag.ci.name,
            flag.state,
            flag.asset.asset_tag,
            f"{flag.warranty_end}{' (expired)' if flag.warranty_expired else ''}",
            f"{flag.eol_date or ''}{' (passed)' if flag.past_end_of_life else ''}",
        )
    console.print(flags)
    _business(console, report)
    console.print(
        f"details: {len(report.details)} of {report.details_count} from offset {report.offset}"
        + (f" (next: --offset {report.next_offset})" if report.next_offset is not None else "")
    )
    for item in report.details:
        console.print(f"  {item.state:16} d={item.depth:<3} {item.ci.name} ({item.ci.ci_class})")
    return buffer.getvalue()


def _business(console: Any, report: ImpactReport) -> None:
    """The business flags and the money at stake (docs/both-layers.md)."""
    from rich.table import Table

    business = Table(title=f"Business flags on the impact path ({len(report.business_flags)})")
    for column in ("CI", "state", "flags", "net book value"):
        business.add_column(column)
    for row in report.business_flags:
        value = row.book_value
        business.add_row(
            row.ci.name,
            row.state,
            "; ".join(f"{f.label}: {f.detail}" for f in row.flags),
            f"{value.amount} {value.currency}" if value else "",
        )
    console.print(business)
    money = report.money
    if money.services:
        down = " + ".join(f"{m.amount} {m.currency}" for m in money.down_monthly_cost) or "0"
        console.print(f"monthly cost of the services that go down: {down}")
    if money.failed_book_value:
        worth = " + ".join(f"{m.amount} {m.currency}" for m in money.failed_book_value)
        console.print(f"net book value of the failed hardware: {worth}")
