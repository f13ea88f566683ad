"""Seat allocation under contention: 50 simultaneous requests for a 5-seat licence give
exactly 5 allocations and 45 clear 409s, on SQLite and PostgreSQL (each thread has its own
connection)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from assetgraph.core.actor import Actor
from assetgraph.core.errors import Conflict
from assetgraph.licences import services
from assetgraph.licences.models import Allocation, Entitlement
from assetgraph.org import services as org

pytestmark = pytest.mark.django_db(transaction=True)
REQUESTS = 50
SEATS = 5


def _race(jobs: list[Callable[[], Any]]) -> list[Any]:
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(index: int, job: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[index] = job()
        except Exception as exc:  # the outcome under test
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_fifty_parallel_requests_for_five_seats_give_five_allocations_and_45_conflicts() -> None:
    system = Actor.system("tests")
    publisher = services.create_publisher(system, {"name": "Adobe"})
    product = services.create_product(system, {"name": "Acrobat", "publisher": publisher})
    licence = services.create_entitlement(
        system, {"name": "Acrobat 5", "product": product, "metric": "user", "quantity": SEATS}
    )
    people = [
        org.create_person(
            system, {"employee_number": f"R{n}", "first_name": "P", "last_name": str(n)}
        )
        for n in range(REQUESTS)
    ]

    def clerk(person: Any) -> Callable[[], Any]:
        return lambda: services.allocate_seats(
            Actor.system("clerk"), Entitlement(pk=licence.pk), {"person": person.pk}
        )

    results = _race([clerk(p) for p in people])
    wins = [r for r in results if isinstance(r, Allocation)]
    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert len(wins) == SEATS and len(conflicts) == REQUESTS - SEATS, [
        r for r in results if not isinstance(r, Allocation | Conflict)
    ]
    assert {c.code for c in conflicts} == {"no_seats_left"}
    assert all(c.status == 409 and "seat(s) left" in c.message for c in conflicts)
    licence.refresh_from_db()
    assert licence.allocated == SEATS
    assert (
        Allocation.objects.filter(entitlement=licence, reclaimed_at__isnull=True).count() == SEATS
    )
