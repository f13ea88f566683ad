"""Concurrency: two clerks, two connections, one asset — exactly one wins, on both databases."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from assetgraph.assets import services
from assetgraph.assets.models import Asset, CustodyRecord
from assetgraph.core.actor import Actor
from assetgraph.core.errors import Conflict

pytestmark = pytest.mark.django_db(transaction=True)


def _race(*jobs: Callable[[], Any]) -> list[Any]:
    """Run jobs at the same moment in threads (each with its own DB connection)."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(index: int, job: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[index] = job()
        except Exception as exc:  # the outcome under test, collected for the assertions
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.parametrize("attempt", range(3))
def test_two_clerks_checking_out_one_asset_one_wins_one_conflicts(
    attempt: int, make_asset: Callable[..., Asset], catalogue: dict[str, Any]
) -> None:
    asset = make_asset(model="u27")
    ana, ben = catalogue["ana"], catalogue["ben"]

    def clerk(person: Any) -> Any:
        return services.check_out_asset(
            Actor.system(f"clerk {person.first_name}"),
            Asset.objects.get(pk=asset.pk),
            to_person=person,
        )

    results = _race(lambda: clerk(ana), lambda: clerk(ben))
    wins = [r for r in results if isinstance(r, CustodyRecord)]
    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert len(wins) == 1 and len(conflicts) == 1, results
    assert conflicts[0].status == 409
    asset.refresh_from_db()
    assert asset.custodian_id == wins[0].person_id
    assert CustodyRecord.objects.filter(asset=asset).count() == 1


def test_concurrent_asset_creation_never_reuses_a_tag(make_asset: Callable[..., Asset]) -> None:
    make_asset()  # creates the sequence row
    results = _race(*[make_asset for _ in range(4)])
    assert all(isinstance(r, Asset) for r in results), results
    tags = [r.asset_tag for r in results]
    assert len(set(tags)) == 4
