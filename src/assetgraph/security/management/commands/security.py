"""``assetgraph security ACTION``: advisories, matching, findings, blast radius, end of life,
policies and evidence from the shell, thin over the services and reads (the same rules,
permissions and audit trail as the UI and API).

Exit codes: 0 success, 1 a refused import (every error printed), 2 usage errors.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from assetgraph.core.commandline import cli_actor, json_text
from assetgraph.core.errors import ServiceError

from ... import eol, evidence, feeds, policies, reads, services
from ...models import Advisory, Policy


class Command(BaseCommand):
    help = "Import advisories, match, list findings, blast radius, end of life, policies, evidence."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", help="act as this user (their permissions apply)")
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import-advisories", help="OSV file/folder/zip or NVD 2.0 feed")
        imp.add_argument("path")
        imp.add_argument("--no-match", action="store_true", help="do not match afterwards")
        exploit = sub.add_parser("import-exploit-data", help="CISA KEV JSON and/or EPSS CSV")
        exploit.add_argument("--kev")
        exploit.add_argument("--epss")
        sub.add_parser("match", help="match installed software against the advisories now")
        findings = sub.add_parser("findings", help="findings, most urgent first")
        findings.add_argument("--service", help="a dependent business service (name or id)")
        findings.add_argument("--status", help="open, in_progress, risk_accepted, fixed")
        findings.add_argument("--all", action="store_true", help="include fixed findings")
        findings.add_argument("--overdue", action="store_true")
        findings.add_argument("--json", action="store_true")
        radius = sub.add_parser("blast-radius", help="every CI and service an advisory touches")
        radius.add_argument("advisory", help="identifier or alias, e.g. CVE-2021-44228")
        radius.add_argument("--json", action="store_true")
        cycles = sub.add_parser("import-eol", help="release cycles in endoflife.date's format")
        cycles.add_argument("product", help="endoflife.date product, e.g. ubuntu")
        cycles.add_argument("path")
        cycles.add_argument("--names", default="", help="names it goes by, comma-separated")
        report = sub.add_parser("eol", help="what is nearing or past end of life")
        report.add_argument("--days", type=int, default=eol.DEFAULT_WARNING_DAYS)
        report.add_argument("--json", action="store_true")
        evaluate = sub.add_parser("evaluate-policies", help="evaluate policies now")
        evaluate.add_argument("--policy", help="one policy by name")
        export = sub.add_parser("evidence", help="export audit evidence as of a date (zip)")
        export.add_argument("--as-of", help="ISO date-time (default now)")
        export.add_argument("--since", help="start of the changes period (ISO)")
        export.add_argument("-o", "--output", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        actor = cli_actor(options.get("user"))
        action = options["action"]
        try:
            getattr(self, "_" + action.replace("-", "_"))(actor, options)
        except ServiceError as exc:
            for where, problems in exc.fields.items():
                for problem in problems:
                    self.stderr.write(f"{where}: {problem}")
            self.stderr.write(exc.message)
            raise SystemExit(1) from None
        except feeds.FeedError as exc:
            raise CommandError(f"{exc.where}: {exc.message}") from None

    def _import_advisories(self, actor: Any, options: dict[str, Any]) -> None:
        outcome = feeds.parse_files(feeds.read_path(Path(options["path"])))
        result = services.import_advisories(actor, outcome)
        self.stdout.write(
            f"{result.files} file(s): {result.created} new, {result.updated} updated, "
            f"{result.unchanged} unchanged, {result.withdrawn} withdrawn, "
            f"{len(result.git_only)} GIT-only (matched by commit only)"
        )
        if not options["no_match"] and result.identifiers:
            ids = Advisory.objects.filter(identifier__in=result.identifiers).values_list(
                "pk", flat=True
            )
            summary = services.run_matching(actor, advisory_ids=list(ids))
            self.stdout.write(_summary(summary))

    def _import_exploit_data(self, actor: Any, options: dict[str, Any]) -> None:
        if not options["kev"] and not options["epss"]:
            raise CommandError("give --kev and/or --epss")
        kev = (
            feeds.parse_kev(Path(options["kev"]).read_bytes(), options["kev"])
            if options["kev"]
            else None
        )
        epss = (
            feeds.parse_epss(Path(options["epss"]).read_bytes(), options["epss"])
            if options["epss"]
            else None
        )
        changed = services.import_exploit_data(actor, kev=kev, epss=epss)
        self.stdout.write(f"{changed} advisories changed")
        self.stdout.write(_summary(services.run_matching(actor)))

    def _match(self, actor: Any, options: dict[str, Any]) -> None:
        self.stdout.write(_summary(services.run_matching(actor)))

    def _findings(self, actor: Any, options: dict[str, Any]) -> None:
        findings = reads.visible_findings(actor.user)
        if options["service"]:
            findings = findings.filter(pk__in=reads.findings_of_service(options["service"]))
        if options["status"]:
            findings = findings.filter(status=options["status"])
        elif not options["all"]:
            findings = findings.exclude(status="fixed")
        if options["overdue"]:
            findings = findings.filter(reads.overdue_q())
        rows = [
            {
                "id": f.pk,
                "priority": f.priority,
                "band": f.priority_band,
                "advisory": f.advisory.identifier,
                "ci": f.ci.name,
                "package": f.package,
                "installed": f.installed_version,
                "fixed_in": f.fixed_version,
                "severity": f.severity,
                "internet_exposed": f.internet_exposed,
                "service_tier": f.service_tier,
                "status": f.status,
                "due": f.due_date.isoformat() if f.due_date else None,
                "why": f.reason,
            }
            for f in findings.order_by("-priority", "pk")
        ]
        if options["json"]:
            self.stdout.write(json_text(rows))
            return
        for row in rows:
            exposed = " internet" if row["internet_exposed"] else ""
            self.stdout.write(
                f"{row['band']} {row['priority']:>3}  {row['advisory']:<22} {row['ci']:<24} "
                f"{row['severity']:<8} {row['status']:<13}{exposed}  {row['package']}"
            )
        self.stdout.write(f"{len(rows)} finding(s)")

    def _blast_radius(self, actor: Any, options: dict[str, Any]) -> None:
        found = reads.advisory_by_name(actor.user, options["advisory"])
        if found is None:
            raise CommandError(f"advisory {options['advisory']} not found")
        radius = reads.blast_radius(actor.user, found)
        if options["json"]:
            self.stdout.write(json_text(radius))
            return
        self.stdout.write(
            f"{radius['advisory']}: {radius['findings']} active finding(s), "
            f"{radius['internet_exposed']} reachable from the internet"
        )
        for service in radius["services"]:
            self.stdout.write(f"  service  {service['name']} (tier {service['tier']})")
        for ci in radius["cis"]:
            self.stdout.write(f"  {ci['role']:<26} {ci['name']} ({ci['class']})")

    def _import_eol(self, actor: Any, options: dict[str, Any]) -> None:
        rows = eol.parse_cycles(Path(options["path"]).read_bytes())
        names = [n.strip() for n in options["names"].split(",") if n.strip()]
        created, updated = eol.import_cycles(actor, options["product"], rows, names)
        self.stdout.write(f"{created} cycle(s) added, {updated} updated")

    def _eol(self, actor: Any, options: dict[str, Any]) -> None:
        rows = [
            r
            for r in eol.eol_report(actor.user, warning_days=options["days"])
            if r.status != "supported"
        ]
        data = [
            {
                "kind": r.kind,
                "ci": r.ci.name if r.ci else None,
                "asset": r.asset.asset_tag if r.asset else None,
                "product": r.product,
                "version": r.version,
                "cycle": r.cycle,
                "eol": r.eol.isoformat() if r.eol else None,
                "status": r.status,
            }
            for r in rows
        ]
        if options["json"]:
            self.stdout.write(json_text(data))
            return
        for row in data:
            where = row["ci"] or row["asset"] or ""
            self.stdout.write(
                f"{row['status']:<8} {row['kind']:<9} {where:<28} {row['product']} "
                f"{row['version']} (eol {row['eol'] or 'ended'})"
            )

    def _evaluate_policies(self, actor: Any, options: dict[str, Any]) -> None:
        chosen = Policy.objects.filter(enabled=True)
        if options["policy"]:
            chosen = Policy.objects.filter(name=options["policy"])
            if not chosen.exists():
                raise CommandError(f"policy {options['policy']!r} not found")
        for policy in chosen:
            run = policies.evaluate_policy(actor, policy)
            self.stdout.write(
                f"{policy.name}: {run.failed} failing, {run.passed} passing, {run.exempt} exempt"
            )

    def _evidence(self, actor: Any, options: dict[str, Any]) -> None:
        as_of = _when(options["as_of"]) or timezone.now()
        body, package = evidence.export_evidence(actor, as_of, _when(options["since"]))
        Path(options["output"]).write_bytes(body)
        self.stdout.write(f"evidence as of {as_of.isoformat()} written to {options['output']}")
        self.stdout.write(f"manifest sha256 {package.manifest_sha256}")


def _when(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(f"not an ISO date-time: {text}") from None
    return value if value.tzinfo else timezone.make_aware(value)


def _summary(summary: services.MatchSummary) -> str:
    return (
        f"matching: {summary.matched} match(es), {summary.created} new, {summary.reopened} "
        f"reopened, {summary.closed} closed, {summary.expired_acceptances} acceptance(s) expired, "
        f"{summary.platform_unmet} without their NVD platform, {summary.git_only} GIT-only "
        "advisories"
    )
