"""The demo estate's tables: services, applications, farms, subnets, racks, the story."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..choices import EnvironmentChoices, RedundancyModeChoices

if TYPE_CHECKING:
    pass


DOMAIN = "aus1.example.internal"
INFRA, DESK, PLATFORM = "IT-INFR", "IT-SERV", "ENG-PLAT"

# (name, owning team, criticality, SLA, description)
SERVICES: list[tuple[str, str, int, str, str]] = [
    ("Finance", "FIN", 1, "gold", "General ledger, payables, receivables and month-end close."),
    ("Payroll", "HR", 1, "gold", "Monthly payroll runs and payslips."),
    ("HR portal", "HR", 2, "silver", "Employee self-service: leave, expenses, personal data."),
    ("E-mail", "IT", 1, "gold", "Company e-mail and calendars."),
    ("VPN", INFRA, 1, "gold", "Remote access to internal services."),
    ("Web shop", "ENG-PAYM", 1, "gold", "The customer-facing online shop."),
    ("CRM", "SAL", 2, "silver", "Customers, leads and opportunities."),
    ("Intranet", "OPS", 3, "bronze", "News, policies and the staff directory."),
    ("CI/CD", PLATFORM, 2, "silver", "Source control, builds and deployments."),
    ("Monitoring", INFRA, 2, "silver", "Metrics, dashboards and alerting."),
    ("Service desk", DESK, 2, "silver", "Tickets and the self-service portal."),
    ("Business intelligence", "FIN", 3, "bronze", "Reports and the data warehouse."),
    ("Marketing website", "MKT", 2, "silver", "The public website."),
    ("File sharing", "IT", 3, "bronze", "Team file shares."),
    ("Contract management", "LEG", 3, "bronze", "Contracts, renewals and signatures."),
]


@dataclass(frozen=True)
class AppSpec:
    """One application of a business service: its components (each on its own VMs or a
    load-balanced pool), databases, and the shared applications it depends on."""

    service: str
    name: str
    prefix: str
    version: str
    vendor: str
    farm: str
    components: list[tuple[str, str, int, bool]]  # (name, VM role, VMs, load-balanced)
    databases: list[tuple[str, str, str, int]]  # (name, engine, version, port)
    uses: list[str] = field(default_factory=list)


APPS = [
    AppSpec(
        "Finance",
        "Finance application",
        "fin",
        "4.2.1",
        "Unit4",
        "A",
        [("Finance API", "api", 2, False), ("Finance batch", "batch", 1, False)],
        [("Finance DB", "PostgreSQL", "16.2", 5432)],
        ["SSO", "DNS", "LDAP"],
    ),
    AppSpec(
        "Payroll",
        "Payroll application",
        "pay",
        "9.1",
        "PayCore",
        "A",
        [("Payroll engine", "engine", 1, False), ("Payroll web", "web", 2, True)],
        [("Payroll DB", "Microsoft SQL Server", "2022", 1433)],
        ["SSO", "DNS", "Finance application"],
    ),
    AppSpec(
        "HR portal",
        "HR portal application",
        "hr",
        "3.8",
        "PeopleHub",
        "B",
        [("HR web", "web", 2, True), ("HR integration", "int", 1, False)],
        [("HR DB", "PostgreSQL", "15.6", 5432)],
        ["SSO", "DNS", "LDAP", "Payroll application"],
    ),
    AppSpec(
        "E-mail",
        "Mail relay",
        "mail",
        "3.8.6",
        "Postfix",
        "B",
        [("Mail relay MTA", "mta", 2, True)],
        [],
        ["DNS", "LDAP"],
    ),
    AppSpec("VPN", "VPN gateway", "vpn", "11.1", "Palo Alto Networks", "A", [], [], ["DNS"]),
    AppSpec(
        "Web shop",
        "Web shop application",
        "shop",
        "2.4.7",
        "Adobe Commerce",
        "B",
        [
            ("Storefront", "web", 8, True),
            ("Checkout API", "checkout", 6, True),
            ("Shop admin", "admin", 1, False),
        ],
        [("Web shop DB", "MySQL", "8.0.36", 3306)],
        ["DNS", "RabbitMQ", "Redis cache", "Kubernetes"],
    ),
    AppSpec(
        "CRM",
        "CRM application",
        "crm",
        "8.6",
        "SuiteCRM",
        "B",
        [("CRM web", "web", 3, True), ("CRM sync", "sync", 1, False)],
        [("CRM DB", "MySQL", "8.0.36", 3306)],
        ["SSO", "DNS", "LDAP", "RabbitMQ"],
    ),
    AppSpec(
        "Intranet",
        "Intranet CMS",
        "intra",
        "6.5.3",
        "WordPress",
        "B",
        [("Intranet web", "web", 2, True)],
        [("Intranet DB", "MariaDB", "10.11", 3306)],
        ["SSO", "DNS"],
    ),
    AppSpec(
        "CI/CD",
        "GitLab",
        "git",
        "17.0.2",
        "GitLab",
        "B",
        [
            ("GitLab web", "web", 2, True),
            ("GitLab runners", "runner", 16, False),
            ("Artifact registry", "registry", 1, False),
        ],
        [("GitLab DB", "PostgreSQL", "14.11", 5432)],
        ["SSO", "DNS", "LDAP", "Kubernetes"],
    ),
    AppSpec(
        "Monitoring",
        "Monitoring stack",
        "mon",
        "2.52.0",
        "Prometheus",
        "C",
        [
            ("Prometheus", "prom", 2, False),
            ("Grafana", "grafana", 1, False),
            ("Alertmanager", "alert", 1, False),
        ],
        [("Grafana DB", "PostgreSQL", "16.2", 5432)],
        ["SSO", "DNS", "Mail relay"],
    ),
    AppSpec(
        "Service desk",
        "Service desk application",
        "desk",
        "6.3",
        "Zammad",
        "B",
        [("Service desk web", "web", 2, True), ("Mail ingest", "mail", 1, False)],
        [("Service desk DB", "PostgreSQL", "15.6", 5432)],
        ["SSO", "DNS", "LDAP", "Mail relay"],
    ),
    AppSpec(
        "Business intelligence",
        "BI platform",
        "bi",
        "0.50",
        "Metabase",
        "C",
        [("BI web", "web", 1, False), ("ETL jobs", "etl", 2, False)],
        [],
        ["SSO", "DNS", "Finance DB", "CRM DB", "Data warehouse"],
    ),
    AppSpec(
        "Marketing website",
        "Marketing website application",
        "www",
        "14.2",
        "Next.js",
        "C",
        [("Headless CMS", "cms", 1, False)],
        [("CMS DB", "PostgreSQL", "16.2", 5432)],
        ["DNS", "CDN distribution", "Website bucket"],
    ),
    AppSpec(
        "File sharing",
        "File shares",
        "files",
        "29.0.1",
        "Nextcloud",
        "B",
        [("File shares web", "web", 2, True)],
        [("File shares DB", "MariaDB", "10.11", 3306)],
        ["SSO", "DNS", "LDAP", "stor-aus1-02"],
    ),
    AppSpec(
        "Contract management",
        "Contract management application",
        "clm",
        "5.0",
        "ContractHub",
        "A",
        [("Contract web", "web", 1, False)],
        [("Contract DB", "Microsoft SQL Server", "2022", 1433)],
        ["SSO", "DNS", "File shares"],
    ),
]
# Shared applications: (name, version, vendor, members, min up, depends on)
SHARED = [
    ("DNS", "9.18.24", "ISC BIND", ["dns-01", "dns-02", "dns-03"], 1, []),
    ("LDAP", "2.6.7", "OpenLDAP", ["ldap-01", "ldap-02"], 1, ["DNS"]),
    ("SSO", "24.0.4", "Keycloak", ["sso-01", "sso-02"], 1, ["LDAP", "DNS", "SSO DB"]),
    ("RabbitMQ", "3.13.2", "Broadcom", ["mq-01", "mq-02", "mq-03"], 2, ["DNS"]),
    ("Redis cache", "7.2.4", "Redis", ["redis-01", "redis-02"], 1, []),
]
# Farms: (name, environment, hosts, redundancy mode, value, storage array)
FARMS = [
    ("Farm A", EnvironmentChoices.PRODUCTION, 8, RedundancyModeChoices.COUNT, 6, "stor-aus1-01"),
    ("Farm B", EnvironmentChoices.PRODUCTION, 6, RedundancyModeChoices.PERCENT, 66, "stor-aus1-02"),
    ("Farm C", EnvironmentChoices.TEST, 6, RedundancyModeChoices.PERCENT, 50, "stor-aus1-03"),
]
SUBNETS = {
    "farm-a": ("10.10.0.0/22", 110),
    "farm-b": ("10.20.0.0/22", 120),
    "farm-c": ("10.30.0.0/21", 130),
    "mgmt": ("10.0.0.0/24", 10),
    "dmz": ("172.16.0.0/24", 200),
    "vpn": ("10.200.0.0/16", 300),
    "office": ("10.100.0.0/16", 400),
    "storage": ("10.0.8.0/24", 20),
}
SERVER_RACKS = [f"R{n:02d}" for n in range(1, 9)]
NETWORK_RACKS = ["N01", "N02"]
# Services every laptop uses, and those a department's laptops use on top.
EVERYONE = ["E-mail", "VPN", "Intranet", "HR portal", "File sharing"]
BY_DEPARTMENT = {
    "FIN": ["Finance", "Payroll", "Business intelligence"],
    "HR": ["Payroll"],
    "SAL": ["CRM"],
    "MKT": ["CRM", "Marketing website"],
    "ENG": ["CI/CD", "Monitoring"],
    "IT": ["Monitoring", "Service desk"],
    "SEC": ["Monitoring", "Service desk"],
    "LEG": ["Contract management"],
    "EXE": ["Finance", "Business intelligence", "CRM"],
    "OPS": ["Contract management", "Service desk"],
}
OS_CHOICES = [("Ubuntu", "22.04"), ("Ubuntu", "24.04"), ("Red Hat Enterprise Linux", "9.4")]
# Created through the services: the CIs and links of Minh's path (see the module docstring).
STORY_CIS = {
    "Finance",
    "VPN",
    "SSO",
    "Finance application",
    "Finance DB",
    "fin-db-01",
    "Farm A",
    "stor-aus1-01",
}
STORY_TYPES = {"uses", "depends on", "runs on", "hosted on"}
