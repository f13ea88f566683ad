"""The deterministic demo company: same seed, same company (except generated passwords).

Everything is written through the services or, for the many rows (locations, people,
assets, CIs, relationships), through the bulk-write engine (``create_objects``: the same
validation, batched inserts, one audit event per object), so the demo has a real audit
trail. The apps' ``demo.py`` loaders add assets, CIs and relationships wired to these people
and places.
"""

from __future__ import annotations

import datetime as dt
import importlib
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.db import transaction

from assetgraph.accounts import services as account_services
from assetgraph.accounts.models import User
from assetgraph.core.actor import Actor
from assetgraph.framework.importing import create_objects
from assetgraph.org import services as org
from assetgraph.org.choices import LocationKindChoices, PersonStatusChoices
from assetgraph.org.models import Department, Location, Person

from . import data

DEMO_EPOCH = dt.date(2026, 1, 1)


@dataclass
class DemoContext:
    """What the organisation part of the demo made, for the other apps' demo loaders."""

    actor: Actor
    rng: random.Random
    people: list[Person]
    rooms: list[Location]
    departments: dict[str, Department]


@dataclass
class DemoResult:
    """What the loader did and the logins it created (passwords in clear, shown once)."""

    created: bool
    people: int = 0
    locations: int = 0
    accounts: list[tuple[str, str, str]] = field(default_factory=list)  # (username, role, password)


def demo_loaded() -> bool:
    """Whether the demo company is already in the database."""
    return Person.objects.filter(employee_number="E0001").exists()


def load_demo(seed: int = 42, people: int = 300) -> DemoResult:
    """Load the demo company, or only reset the demo logins' passwords if it is already there."""
    actor = Actor.system("demo loader")
    if demo_loaded():
        return DemoResult(
            created=False, people=Person.objects.count(), accounts=_reset_accounts(actor)
        )
    rng = random.Random(seed)
    with transaction.atomic():
        rooms = _locations(actor)
        departments = _departments(actor)
        _companies(actor)
        staff = _people(actor, rng, departments, rooms, people)
        accounts = _accounts(actor, staff)
        context = DemoContext(
            actor=actor, rng=rng, people=staff, rooms=rooms, departments=departments
        )
        for loader in app_loaders():
            loader(context)
    return DemoResult(
        created=True, people=len(staff), locations=Location.objects.count(), accounts=accounts
    )


# Apps whose ``demo.py`` extends the company, in dependency order (assets before the CMDB,
# whose endpoints are the demo laptops).
DEMO_APPS = (
    "assetgraph.assets",
    "assetgraph.cmdb",
    "assetgraph.changes",
    "assetgraph.discovery",
    "assetgraph.licences",
    "assetgraph.stock",
    "assetgraph.finance",
    "assetgraph.security",
    "assetgraph.events",
    "assetgraph.integrations",
)


def app_loaders() -> list[Callable[[DemoContext], None]]:
    """The ``load_demo(context)`` functions of the installed apps that have one."""
    loaders = []
    for name in DEMO_APPS:
        if not apps.is_installed(name):
            continue
        try:
            module = importlib.import_module(f"{name}.demo")
        except ModuleNotFoundError as exc:
            if exc.name != f"{name}.demo":
                raise
            continue
        loaders.append(module.load_demo)
    return loaders


def _locations(actor: Actor) -> list[Location]:
    """The location tree (regions, sites, buildings, floors, rooms), written in one go."""
    nodes: list[Location] = []

    def node(name: str, kind: str, parent: Location | None = None, **values: str) -> Location:
        location = Location(name=name, kind=kind, parent=parent, **values)
        location.path = location.compute_path()
        nodes.append(location)
        return location

    regions: dict[str, Location] = {}
    rooms: list[Location] = []
    for region, site, city, country, address, postcode, buildings in data.SITES:
        if region not in regions:
            regions[region] = node(region, LocationKindChoices.REGION)
        site_node = node(
            site,
            LocationKindChoices.SITE,
            regions[region],
            city=city,
            country=country,
            address=address,
            postcode=postcode,
        )
        for building in buildings:
            building_node = node(building, LocationKindChoices.BUILDING, site_node)
            floors = 1 if building.startswith("Datacenter") else 3
            for floor in range(1, floors + 1):
                floor_node = node(f"Floor {floor}", LocationKindChoices.FLOOR, building_node)
                names = (
                    ["Server Hall", "Network Room"]
                    if building.startswith("Datacenter")
                    else [f"{floor}{n:02d}" for n in range(1, 4)]
                )
                rooms.extend(node(room, LocationKindChoices.ROOM, floor_node) for room in names)
    create_objects(actor, nodes)
    return rooms


def _departments(actor: Actor) -> dict[str, Department]:
    result: dict[str, Department] = {}
    for code, name, cc_code, _share, _titles in data.DEPARTMENTS:
        cost_centre = org.create_cost_centre(actor, {"code": cc_code, "name": name})
        result[code] = org.create_department(
            actor, {"name": name, "code": code, "cost_centre": cost_centre}
        )
        for team in data.TEAMS.get(code, []):
            team_code = f"{code}-{team[:4].upper()}"
            result[team_code] = org.create_department(
                actor,
                {
                    "name": team,
                    "code": team_code,
                    "parent": result[code],
                    "cost_centre": cost_centre,
                },
            )
    org.create_cost_centre(actor, {"code": "CC-9999", "name": "Legacy projects", "active": False})
    return result


def _companies(actor: Actor) -> None:
    for name, supplier, manufacturer, provider, website in data.COMPANIES:
        org.create_company(
            actor,
            {
                "name": name,
                "is_supplier": supplier,
                "is_manufacturer": manufacturer,
                "is_service_provider": provider,
                "website": website,
            },
        )


def _people(
    actor: Actor,
    rng: random.Random,
    departments: dict[str, Department],
    rooms: list[Location],
    count: int,
) -> list[Person]:
    office_rooms = [r for r in rooms if "Datacenter" not in r.path]
    plan: list[tuple[str, str]] = []  # (department code, job title)
    for code, _name, _cc, share, titles in data.DEPARTMENTS:
        plan += [(code, titles[i % len(titles)]) for i in range(max(2, round(share * count)))]
    plan = plan[:count]
    staff: list[Person] = []
    heads: dict[str, Person] = {}
    used_emails: set[str] = set()
    for index, (code, title) in enumerate(plan, start=1):
        if index == 1:
            first, last, code, title = "Minh", "Nguyen", "FIN", "Financial Analyst"
        else:
            first, last = rng.choice(data.FIRST_NAMES), rng.choice(data.LAST_NAMES)
        email = f"{first}.{last}".lower()
        suffix = 2
        while email in used_emails:
            email, suffix = f"{first}.{last}{suffix}".lower(), suffix + 1
        used_emails.add(email)
        department = departments[code]
        teams = [d for key, d in departments.items() if key.startswith(f"{code}-")]
        if teams and rng.random() < 0.7:
            department = rng.choice(teams)
        start = DEMO_EPOCH - dt.timedelta(days=rng.randint(30, 3650))
        status, end = PersonStatusChoices.ACTIVE, None
        roll = rng.random()
        if index > 1 and roll < 0.03:
            status, end = (
                PersonStatusChoices.LEFT,
                DEMO_EPOCH - dt.timedelta(days=rng.randint(1, 200)),
            )
        elif index > 1 and roll < 0.06:
            status, end = (
                PersonStatusChoices.LEAVING,
                DEMO_EPOCH + dt.timedelta(days=rng.randint(5, 60)),
            )
        person = Person(
            employee_number=f"E{index:04d}",
            first_name=first,
            last_name=last,
            email=f"{email}@example.com",
            job_title=title,
            department=department,
            cost_centre=department.cost_centre,
            location=rng.choice(office_rooms),
            status=status,
            start_date=start,
            end_date=end,
            manager=heads.get(code),  # another row of this write: linked once it exists
        )
        heads.setdefault(code, person)
        staff.append(person)
    create_objects(actor, staff)
    for code, head in heads.items():
        org.update_department(actor, Department.objects.get(code=code), {"head": head})
    return staff


def _password() -> str:
    return secrets.token_urlsafe(12)


def _accounts(actor: Actor, staff: list[Person]) -> list[tuple[str, str, str]]:
    accounts = []
    people = _people_for_accounts(staff)
    for username, role in data.DEMO_USERS:
        password = _password()
        user = account_services.create_user(
            actor,
            username=username,
            password=password,
            email=f"{username}@example.com",
            first_name=username.capitalize(),
            roles=[role],
            is_superuser=False,
        )
        person = people.get(username)
        if person is not None:
            org.update_person(actor, person, {"user": user})
        accounts.append((username, role, password))
    return accounts


def _people_for_accounts(staff: list[Person]) -> dict[str, Person]:
    """The person behind each demo login. A login with a department in
    ``data.ACCOUNT_DEPARTMENTS`` gets that department's first active member not already
    taken (the helpdesk login sits in the service desk, DevOps in the platform team that owns
    CI/CD, so "my team" cards have something to show); the others, and any whose department
    has no one left (a small demo), take the next free members of staff in order. Minh Nguyen
    (``staff[0]``), the demo's story person, is never a login."""
    chosen: dict[str, Person] = {}
    taken: set[int] = {0}
    for username, _role in data.DEMO_USERS:
        code = data.ACCOUNT_DEPARTMENTS.get(username)
        if code is None:
            continue
        for index, person in enumerate(staff):
            if (
                index not in taken
                and person.department is not None
                and person.department.code == code
                and person.status == PersonStatusChoices.ACTIVE
            ):
                chosen[username] = person
                taken.add(index)
                break
    spare = iter([index for index in range(len(staff)) if index not in taken])
    for username, _role in data.DEMO_USERS:
        free = next(spare, None) if username not in chosen else None
        if free is not None:
            chosen[username] = staff[free]
    return chosen


def _reset_accounts(actor: Actor) -> list[tuple[str, str, str]]:
    accounts = []
    for username, role in data.DEMO_USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            continue
        password = _password()
        account_services.set_password(actor, user, password)
        if not user.is_active:
            account_services.reactivate_user(actor, user)
        accounts.append((username, role, password))
    return accounts
