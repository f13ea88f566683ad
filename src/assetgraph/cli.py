"""The ``assetgraph`` command: a thin, documented front over Django management commands.

``assetgraph serve | worker | jobs | backup | restore | migrate | createsuperuser | demo |
audit verify | import | export | roles | drift``;
anything else is passed to Django's ``manage.py`` as is (``assetgraph manage <command>``).
Exit codes: 0 success, 1 failure of the operation (e.g. a broken audit chain, an import with
errors), 2 usage or configuration error.
"""

from __future__ import annotations

import os
import sys

ALIASES = {
    "import": "import_data",
    "export": "export_data",
    "audit-campaign": "audit_campaign",
    "asset-report": "asset_report",
}
USAGE = """usage: assetgraph <command> [options]

commands:
  serve [--host H] [--port P] [--no-worker]
                                apply pending migrations, then serve the app (with a worker)
  worker [--once]               run background jobs, schedules, webhooks, notifications
  jobs ACTION ...               list, show, retry, cancel, run jobs; schedules; workers
  backup [-o FILE]              a consistent online backup: database, uploads, manifest
  restore FILE [--yes]          verify a backup, restore it aside, check the audit chain, swap
  migrate                       apply database migrations
  createsuperuser               create an administrator login
  demo                          load the demo company (prints the demo logins)
  audit verify | seal | checkpoint
                                check (read-only), extend or checkpoint the audit chain
  import KIND FILE [--dry-run]  import people, locations or assets from CSV/XLSX
  export KIND [--format F]      export people, locations, departments, cost-centres,
                                companies, assets
  alerts [--json]               warranties expiring, overdue returns, end of life, audits due
  audit-campaign ACTION ...     physical audits: start, scan (tags from stdin with -), close
  asset-report NAME             assets by state, category, location, department, custodian, age
  custody ACTION ...            check out, check in, issue a kit to people
  labels TAG... -o FILE         a printable QR label sheet for these assets
  ci ACTION ...                 CMDB: list, show, create, relate, retire CIs
  drift [--fix] [--json]        hardware CIs that disagree with their asset (and repair them)
  impact CI [CI...] [--as-of T] [--json]
                                what a failure of these CIs takes down or degrades
  rootcause CI... | --person NAME --service NAME [--json]
                                rank the likely root causes, with recent changes
  change ACTION ...             change records: list, show, create, transition, assess
  licences position|allocate|reclaim|import-usage|alerts|apply-rules ...
                                software licences: compliance position [--product P]
                                [--as-of T] [--json], seats, SaaS usage import
  depreciation schedule|preview|run ...
                                an asset's schedule, a what-if schedule, the monthly close
  finance register|service-cost|renewals|coverage-gaps ...
                                fixed-asset register, cost per business service, contracts
  stock ACTION ...              stock ledger: check, on-hand, alerts, reorder, move
  security ACTION ...           import-advisories PATH, match, findings [--service S] [--json],
                                blast-radius CVE-ID, import-eol, eol, evaluate-policies,
                                evidence -o FILE
  requests ACTION ...           self-service requests: list, show, submit, approve, reject,
                                cancel, fulfil
  directory sync [--dry-run] | runs
                                people from LDAP / Active Directory: joiners, movers, leavers
  inventory --list | --host H   the CMDB as Ansible inventory JSON
  discover nmap|ansible|cyclonedx|ec2|csv FILE --source NAME [--scope S] [--full-scan]
           [--dry-run]          ingest a scanner or inventory file (discover health: scores)
  records KIND ACTION [ID]      list, show, create, update or delete records (--set field=value)
  roles [--markdown]            show the built-in roles and their permissions
  manage COMMAND ...            any Django management command

--json on every command that prints results: one JSON document on standard output (ISO dates,
decimals as strings); an error adds {"error": ..., "exit": N} (docs/cli.md).

configuration comes from ASSETGRAPH_* environment variables (see docs/configuration.md)."""


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(USAGE)
        raise SystemExit(0 if args else 2)
    if args[0] in {"--version", "version"}:
        from assetgraph import __version__

        print(f"assetgraph {__version__}")
        raise SystemExit(0)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "assetgraph.settings")
    command = args[0]
    if command == "manage":
        args = args[1:]
    else:
        args[0] = ALIASES.get(command, command)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["assetgraph", *args])


if __name__ == "__main__":
    main()
