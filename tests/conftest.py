"""Shared fixtures: users with roles or permissions, authenticated clients, org objects."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from django.test import Client

    from assetgraph.accounts.models import User
    from assetgraph.audit.models import AuditEvent
    from assetgraph.core.actor import Actor

# Django is imported inside the fixtures: tests/graph (the pure engine) runs without it
# (``pytest tests/graph -p no:django``), and pytest always loads this file first.

from tests import shared_demo

PASSWORD = "correct-horse-battery-9"
_counter = itertools.count(1)


@pytest.fixture(autouse=True)
def _fast_hashing(request: pytest.FixtureRequest) -> None:
    # Argon2 is the production hasher (tested in test_conf); tests use a fast one.
    if request.config.pluginmanager.hasplugin("django"):
        request.getfixturevalue("settings").PASSWORD_HASHERS = [
            "django.contrib.auth.hashers.MD5PasswordHasher"
        ]


@pytest.fixture(autouse=True, scope="session")
def _session_audit_checkpoint(request: pytest.FixtureRequest, tmp_path_factory: Any) -> None:
    # Creating the test database seals the seeded events and checkpoints them: into this
    # session's own directory, not the shared data dir (a later session's fresh database
    # would not match that checkpoint). Autouse, so it runs before the database is set up.
    if request.config.pluginmanager.hasplugin("django"):
        from django.conf import settings

        path = tmp_path_factory.mktemp("audit") / "audit-checkpoint.json"
        settings.ASSETGRAPH_AUDIT_CHECKPOINT_FILE = path


@pytest.fixture(autouse=True)
def _own_audit_checkpoint(request: pytest.FixtureRequest, tmp_path: Any) -> None:
    # Tests share a data dir (and xdist workers run side by side): each test keeps its audit
    # checkpoint to itself, as each has its own database contents.
    if request.config.pluginmanager.hasplugin("django"):
        request.getfixturevalue("settings").ASSETGRAPH_AUDIT_CHECKPOINT_FILE = (
            tmp_path / "audit-checkpoint.json"
        )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the tests that want the shared demo company last, in as many xdist groups as
    there are workers (each group's worker loads the demo once).

    One group for all of them left the other worker idle while the last one ran every demo
    story; the modules are dealt into the groups by their number of tests, largest first.
    """
    wants_demo = [item for item in items if shared_demo.FIXTURE in _fixtures_of(item)]
    if not wants_demo:
        return
    groups = _demo_groups(wants_demo, _worker_count(config))
    for item in wants_demo:
        item.add_marker(pytest.mark.xdist_group(groups[item.nodeid.split("::")[0]]))
    chosen = {id(item) for item in wants_demo}
    rest = [item for item in items if id(item) not in chosen]
    items[:] = rest + sorted(wants_demo, key=lambda item: groups[item.nodeid.split("::")[0]])


def _worker_count(config: pytest.Config) -> int:
    # xdist tells its workers how many there are; the controller knows it from ``-n``.
    told = os.environ.get("PYTEST_XDIST_WORKER_COUNT", "")
    workers = int(told) if told.isdigit() else getattr(config.option, "numprocesses", None)
    return workers if isinstance(workers, int) and workers > 1 else 1


def _demo_groups(items: list[pytest.Item], workers: int) -> dict[str, str]:
    """Module path → "demo-N": modules dealt into ``workers`` groups, largest first."""
    sizes: dict[str, int] = {}
    for item in items:
        module = item.nodeid.split("::")[0]
        sizes[module] = sizes.get(module, 0) + 1
    loads = [0] * workers
    groups: dict[str, str] = {}
    for module, size in sorted(sizes.items(), key=lambda entry: (-entry[1], entry[0])):
        lightest = loads.index(min(loads))
        loads[lightest] += size
        groups[module] = f"demo-{lightest}"
    return groups


def _fixtures_of(item: pytest.Item) -> tuple[str, ...]:
    return tuple(getattr(item, "fixturenames", ()))


@pytest.fixture(scope="session")
def demo_company(django_db_setup: None, django_db_blocker: Any) -> Iterator[shared_demo.SharedDemo]:
    """The full demo company (seed 42), loaded once per worker; see ``tests/shared_demo.py``."""
    shared = shared_demo.SharedDemo(django_db_blocker)
    shared_demo.CURRENT.append(shared)
    shared.ensure()
    yield shared
    shared.close()
    shared_demo.CURRENT.remove(shared)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    # Before any fixture of the item: keep the shared demo for a demo test, roll it back
    # for any other (which never happens when the order above holds).
    for shared in shared_demo.CURRENT:
        if shared_demo.FIXTURE in _fixtures_of(item):
            shared.ensure()
        else:
            shared.close()


@pytest.fixture(autouse=True)
def _fresh_estate_graph() -> Iterator[None]:
    # Each test rolls its database back, so audit ids (the graph cache key) repeat between
    # tests with different data: no test may see another's cached estate graph or catalogue.
    shared_demo.clear_graph_caches()
    yield
    shared_demo.clear_graph_caches()


@pytest.fixture
def system() -> Actor:
    from assetgraph.core.actor import Actor

    return Actor.system("tests")


@pytest.fixture
def make_user(db: None, system: Actor) -> Callable[..., User]:
    """Create a user with roles and/or ad-hoc permissions ``[(types, actions, constraints)]``."""
    from assetgraph.accounts import services as account_services

    def make(
        *roles: str,
        permissions: list[tuple[list[str], list[str], Any]] | None = None,
        superuser: bool = False,
    ) -> User:
        n = next(_counter)
        user = account_services.create_user(
            system, username=f"user{n}", password=PASSWORD, roles=roles, is_superuser=superuser
        )
        for i, (types, actions, constraints) in enumerate(permissions or []):
            account_services.create_object_permission(
                system,
                name=f"p{n}-{i}",
                object_types=types,
                actions=actions,
                constraints=constraints,
                users=[user],
            )
        return user

    return make


def bearer(user: User, write: bool = True) -> Client:
    """A test client authenticated with a fresh API token of ``user``."""
    from django.test import Client

    from assetgraph.accounts import services as account_services
    from assetgraph.core.actor import Actor

    issued = account_services.create_api_token(
        Actor.system(), user, name="test", write_enabled=write
    )
    return Client(HTTP_AUTHORIZATION=f"Bearer {issued.plaintext}")


@pytest.fixture
def api(make_user: Callable[..., User]) -> Callable[..., Client]:
    """``api("Helpdesk")`` → a client with a write token of a new user holding that role."""

    def make(
        *roles: str,
        permissions: list[tuple[list[str], list[str], Any]] | None = None,
        write: bool = True,
    ) -> Client:
        return bearer(make_user(*roles, permissions=permissions), write=write)

    return make


@pytest.fixture
def browser(make_user: Callable[..., User]) -> Callable[..., Client]:
    """A session-authenticated client (UI pages) for a new user with the given roles."""

    from django.test import Client

    def make(*roles: str, **kwargs: Any) -> Client:
        client = Client()
        client.force_login(make_user(*roles, **kwargs))
        return client

    return make


@pytest.fixture
def site(db: None, system: Actor) -> dict[str, Any]:
    """A small organisation: two sites with rooms, two departments, a cost centre, three people."""
    from assetgraph.org import services as org

    region = org.create_location(system, {"name": "EMEA", "kind": "region"})
    london = org.create_location(
        system, {"name": "London", "kind": "site", "parent": region, "country": "GB"}
    )
    berlin = org.create_location(
        system, {"name": "Berlin", "kind": "site", "parent": region, "country": "DE"}
    )
    room = org.create_location(system, {"name": "HQ", "kind": "building", "parent": london})
    cc = org.create_cost_centre(system, {"code": "CC-1", "name": "Finance"})
    finance = org.create_department(system, {"name": "Finance", "code": "FIN", "cost_centre": cc})
    it = org.create_department(system, {"name": "IT", "code": "IT"})
    minh = org.create_person(
        system,
        {
            "employee_number": "E1",
            "first_name": "Minh",
            "last_name": "Nguyen",
            "department": finance,
            "location": room,
            "email": "minh@example.com",
        },
    )
    ana = org.create_person(
        system,
        {
            "employee_number": "E2",
            "first_name": "Ana",
            "last_name": "Costa",
            "department": it,
            "location": berlin,
            "manager": minh,
        },
    )
    ben = org.create_person(
        system,
        {"employee_number": "E3", "first_name": "Ben", "last_name": "Becker", "department": it},
    )
    return {
        "region": region,
        "london": london,
        "berlin": berlin,
        "room": room,
        "cc": cc,
        "finance": finance,
        "it": it,
        "minh": minh,
        "ana": ana,
        "ben": ben,
    }


def events_for(obj: Any) -> list[AuditEvent]:
    """Audit events about one object, oldest first."""
    from assetgraph.audit.models import AuditEvent
    from assetgraph.core.registry import object_type_key

    return list(
        AuditEvent.objects.filter(object_type=object_type_key(obj), object_id=str(obj.pk)).order_by(
            "id"
        )
    )


__all__ = ["PASSWORD", "bearer", "events_for"]
