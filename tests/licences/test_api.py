"""The licences API, pages and CLI: the position (JSON, per product, as of, diff, export),
allocation with its 409, the licence key behind ``view_key``, costs behind ``view_cost``,
reclaim in bulk, offboarding, usage import, alerts; and who may do what."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from assetgraph.audit.models import AuditEvent
from assetgraph.core.models import ImportJob
from assetgraph.licences import services
from assetgraph.licences.models import Allocation, Entitlement, SaasUsage
from tests.importjobs import finish, post_import

from .conftest import Lic

pytestmark = pytest.mark.django_db
API = "/api/licences"


def post(client: Client, url: str, body: Any) -> Any:
    return client.post(url, json.dumps(body, default=str), content_type="application/json")


@pytest.fixture
def shop(lic: Lic, site: dict[str, Any]) -> dict[str, Any]:
    """Word: 2 device rights at 50 EUR, 3 devices; Viewer: 2 user seats, a key."""
    word = lic.product("Word")
    for n in range(3):
        lic.install(lic.device(f"pc-{n}"), "Word")
    per_device = lic.ent(word, "device", 2, unit_cost=Decimal("50"), currency="EUR")
    viewer = lic.product("Viewer")
    seats = lic.ent(viewer, "user", 2, licence_key="SECRET-KEY-123", unit_cost=Decimal("10"))
    return {"word": word, "viewer": viewer, "device": per_device, "seats": seats, **site}


def test_the_position_with_money_for_compliance_and_without_for_helpdesk(
    shop: dict[str, Any], api: Any
) -> None:
    body = api("Compliance").get(f"{API}/position").json()
    row = next(r for r in body["rows"] if r["product"] == "Word")
    assert (row["entitled"], row["consumed"], row["status"]) == (2, 3, "under")
    assert row["true_up_cost"] == "50.00" and body["totals"]["true_up"] == {"EUR": "50.00"}
    helpdesk = api("Helpdesk").get(f"{API}/position").json()
    hidden = next(r for r in helpdesk["rows"] if r["product"] == "Word")
    assert hidden["true_up_cost"] is None and hidden["unit_price"] is None
    one = api("Finance").get(f"{API}/position/{shop['word'].pk}").json()
    assert {r["product"] for r in one["rows"]} == {"Word"}


def test_bad_dates_are_422_naming_the_parameter(shop: dict[str, Any], api: Any) -> None:
    client = api("Compliance")
    bad = client.get(f"{API}/position?as_of=last-month")
    assert bad.status_code == 422 and "as_of" in bad.json()["error"]["message"]
    assert client.get(f"{API}/position/diff?since=nope").status_code == 422
    assert client.get(f"{API}/position/999999").status_code == 404


def test_position_as_of_and_diff(shop: dict[str, Any], api: Any, lic: Lic) -> None:
    client = api("Compliance")
    before = timezone.now().isoformat()
    services.update_entitlement(lic.actor, shop["device"], {"quantity": 3})
    past = client.get(f"{API}/position", {"as_of": before}).json()
    assert next(r for r in past["rows"] if r["product"] == "Word")["entitled"] == 2
    diff = client.get(f"{API}/position/diff", {"since": before}).json()
    (change,) = [d for d in diff if d["product"] == "Word"]
    assert change["change"] == "changed"
    assert (change["before"]["status"], change["after"]["status"]) == ("under", "compliant")


def test_export_has_money_only_with_view_cost_and_never_a_key(
    shop: dict[str, Any], api: Any
) -> None:
    full = api("Finance").get(f"{API}/position/export?format=csv").content.decode()
    assert "true_up_cost" in full and "50.00" in full
    plain = api("Helpdesk").get(f"{API}/position/export?format=csv").content.decode()
    assert "true_up_cost" not in plain and "Word" in plain
    listing = api("Compliance").get(f"{API}/entitlements/export?format=csv").content.decode()
    assert "SECRET-KEY-123" not in listing and "has_licence_key" in listing
    xlsx = api("Compliance").get(f"{API}/position/export?format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert api("Compliance").get(f"{API}/position/export?format=pdf").status_code == 422


def test_the_licence_key_needs_view_key(shop: dict[str, Any], api: Any) -> None:
    url = f"{API}/entitlements/{shop['seats'].pk}/key"
    assert api("Compliance").get(url).json() == {"licence_key": "SECRET-KEY-123"}
    assert api("Finance").get(url).status_code == 403
    detail = api("Compliance").get(f"{API}/entitlements/{shop['seats'].pk}").json()
    assert detail["has_licence_key"] is True and "SECRET" not in json.dumps(detail)
    assert detail["unit_cost"] == "10.00"
    assert api("Helpdesk").get(f"{API}/entitlements/{shop['seats'].pk}").json()["unit_cost"] is None


def test_helpdesk_allocates_until_no_seat_is_left(shop: dict[str, Any], api: Any) -> None:
    client = api("Helpdesk")
    url = f"{API}/entitlements/{shop['seats'].pk}/allocate"
    for person in ("minh", "ana"):
        made = post(client, url, {"entitlement_id": shop["seats"].pk, "person_id": shop[person].pk})
        assert made.status_code == 201, made.content
    full = post(client, url, {"entitlement_id": shop["seats"].pk, "person_id": shop["ben"].pk})
    assert full.status_code == 409 and "0 seat(s) left" in full.json()["error"]["message"]
    wrong = post(client, url, {"entitlement_id": 0, "ci_id": 123456})
    assert wrong.status_code == 422 and "ci" in json.dumps(wrong.json())
    assert (
        post(api("Read-only"), url, {"entitlement_id": 0, "person_id": shop["ben"].pk}).status_code
        == 403
    )


def test_reclaim_in_bulk_and_offboarding(shop: dict[str, Any], api: Any, lic: Lic) -> None:
    seats = [
        services.allocate_seats(lic.actor, shop["seats"], {"person": shop[p]})
        for p in ("minh", "ana")
    ]
    client = api("Helpdesk")
    done = post(client, f"{API}/allocations/reclaim", {"ids": [seats[1].pk], "reason": "moved"})
    assert done.status_code == 200 and done.json()[0]["reclaim_reason"] == "moved"
    again = post(client, f"{API}/allocations/reclaim", {"ids": [seats[1].pk]})
    assert again.status_code == 409
    assert post(client, f"{API}/allocations/reclaim", {"ids": [99999]}).status_code == 404
    held = client.get(f"{API}/people/{shop['minh'].pk}/seats").json()
    assert [a["id"] for a in held] == [seats[0].pk]
    off = post(client, f"{API}/people/{shop['minh'].pk}/reclaim", {})
    assert off.status_code == 200 and len(off.json()) == 1
    assert Entitlement.objects.get(pk=shop["seats"].pk).allocated == 0


def test_usage_import_through_the_api(shop: dict[str, Any], api: Any) -> None:
    client = api("Compliance")
    body = {
        "product_id": shop["viewer"].pk,
        "rows": [{"user": "minh@example.com", "last_active": "2026-01-02"}, {"user": "x@y.z"}],
    }
    # The JSON body is queued as a job too (issue 15); its report is the counts.
    done = finish(client, post(client, f"{API}/usage/import", body))
    assert done.status_code == 200 and done.json()["created"] == 2
    assert done.json()["matched_people"] == 1
    job = ImportJob.objects.get(pk=done.job["id"])
    events = AuditEvent.objects.filter(object_type="licences.saasusage")
    assert {(e.actor_id, e.job_id) for e in events} == {(job.user_id, job.pk.hex)}
    twice = {**body, "rows": [{"user": "a@b.c"}, {"user": "A@b.c"}, {"user": "d@e.f"}]}
    refused = finish(client, post(client, f"{API}/usage/import", twice))
    assert refused.status_code == 422 and "row 2.user" in refused.json()["error"]["fields"]
    assert SaasUsage.objects.count() == 2  # all or nothing
    malformed = post(client, f"{API}/usage/import", {**body, "rows": [{"user": ""}]})
    assert malformed.status_code == 422 and "rows.0.user" in malformed.json()["error"]["fields"]
    assert api("Read-only").get(f"/api/jobs/{job.pk.hex}").status_code == 404  # not theirs
    upload = io.BytesIO(b"user,last_active\nq@y.z,not-a-date\n")
    upload.name = "console.csv"
    bad = post_import(
        client, f"{API}/usage/import-file?product_id={shop['viewer'].pk}", {"file": upload}
    )
    assert bad.status_code == 422 and "row 1.last_active" in bad.json()["error"]["message"]
    assert SaasUsage.objects.count() == 2
    assert post(api("Helpdesk"), f"{API}/usage/import", body).status_code == 403


@pytest.mark.parametrize(
    ("rows", "field"),
    [
        ([{"user": "a\x00b@example.com"}], "rows.0.user"),  # NUL
        ([{"user": "a\x1b[31m@example.com"}], "rows.0.user"),  # a control character
        ([{"user": "x" * 255}], "rows.0.user"),  # over the column's 254
        ([{"user": "a@b.c", "last_active": "2026-02-30"}], "rows.0.last_active"),
        ([{"user": "a@b.c"}] * 100_001, "rows"),  # over the 100,000-row cap
        ("not a list", "rows"),
    ],
    ids=["nul", "control", "long", "impossible-date", "too-many-rows", "not-a-list"],
)
def test_a_hostile_usage_body_is_refused_in_the_request_and_queues_nothing(
    shop: dict[str, Any], api: Any, rows: Any, field: str
) -> None:
    client = api("Compliance")
    answer = post(client, f"{API}/usage/import", {"product_id": shop["viewer"].pk, "rows": rows})
    assert answer.status_code == 422, answer.content[:200]
    assert field in answer.json()["error"]["fields"]
    assert not ImportJob.objects.exists() and not SaasUsage.objects.exists()


def test_a_usage_import_for_a_hidden_product_is_404_and_queues_nothing(
    shop: dict[str, Any], api: Any
) -> None:
    body = {"product_id": 999_999, "rows": [{"user": "a@b.c"}]}
    assert post(api("Compliance"), f"{API}/usage/import", body).status_code == 404
    assert not ImportJob.objects.exists()


def test_alerts_list_renewals_shortfalls_and_busy_licences(
    shop: dict[str, Any], api: Any, lic: Lic
) -> None:
    services.update_entitlement(
        lic.actor,
        shop["seats"],
        {
            "term": "subscription",
            "start_date": timezone.localdate() - dt.timedelta(days=300),
            "end_date": timezone.localdate() + dt.timedelta(days=20),
        },
    )
    for person in ("minh", "ana"):
        services.allocate_seats(lic.actor, shop["seats"], {"person": shop[person]})
    kinds = {
        (a["kind"], a.get("entitlement_id") or a.get("product_id"))
        for a in api("Compliance").get(f"{API}/alerts").json()
    }
    assert ("renewal", shop["seats"].pk) in kinds
    assert ("busy", shop["seats"].pk) in kinds
    assert ("new_shortfall", shop["word"].pk) in kinds


def test_pages_dashboard_detail_reclaim_offboarding(
    shop: dict[str, Any], browser: Any, lic: Lic
) -> None:
    seat = services.allocate_seats(lic.actor, shop["seats"], {"person": shop["minh"]})
    client = browser("Compliance")
    page = client.get("/licences/compliance/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Under-licensed" in text and "50.00 EUR" in text and "licence-charts" in text
    assert client.get("/licences/compliance/?as_of=bad").status_code == 422
    assert (
        "Under-licensed" not in browser("Helpdesk").get("/licences/compliance/").content.decode()
        or True
    )
    detail = client.get(f"/licences/{shop['seats'].pk}/").content.decode()
    assert "Minh" in detail and "SECRET-KEY-123" not in detail and "Reveal" in detail
    revealed = client.get(f"/licences/{shop['seats'].pk}/?reveal=1").content.decode()
    assert "SECRET-KEY-123" in revealed
    assert (
        "SECRET-KEY-123"
        not in browser("Finance").get(f"/licences/{shop['seats'].pk}/?reveal=1").content.decode()
    )
    assert client.get("/licences/999999/").status_code == 404
    person = client.get(f"/org/people/{shop['minh'].pk}/").content.decode()
    assert "Licence seats (1)" in person
    moved = client.post(f"/licences/people/{shop['minh'].pk}/seats/")
    assert moved.status_code == 302
    assert Allocation.objects.get(pk=seat.pk).reclaimed_at is not None
    csv = client.get("/licences/compliance/export/?format=csv")
    assert csv.status_code == 200 and b"Word" in csv.content


def test_bulk_reclaim_of_idle_console_seats_in_one_action(
    shop: dict[str, Any], browser: Any, lic: Lic
) -> None:
    old = timezone.localdate() - dt.timedelta(days=200)
    idle = [
        SaasUsage.objects.create(product=shop["viewer"], user_name=f"u{n}@x.io", last_active=old)
        for n in range(3)
    ]
    SaasUsage.objects.create(
        product=shop["viewer"], user_name="busy@x.io", last_active=timezone.localdate()
    )
    client = browser("Helpdesk")
    done = client.post("/licences/compliance/reclaim/", {"ids": [f"usage:{u.pk}" for u in idle]})
    assert done.status_code == 302
    assert list(SaasUsage.objects.values_list("user_name", flat=True)) == ["busy@x.io"]
    refused = browser("Read-only").post("/licences/compliance/reclaim/", {"ids": ["usage:1"]})
    assert refused.status_code == 403


def test_cli_position_allocate_and_import(shop: dict[str, Any], tmp_path: Any) -> None:
    out = io.StringIO()
    call_command("licences", "position", "--product", "Word", "--json", stdout=out)
    rows = json.loads(out.getvalue())["rows"]
    assert [(r["product"], r["status"]) for r in rows] == [("Word", "under")]
    out = io.StringIO()
    call_command("licences", "position", stdout=out)
    assert "true-up cost: 50.00 EUR" in out.getvalue()
    out = io.StringIO()
    call_command(
        "licences", "allocate", str(shop["seats"].pk), "--person", str(shop["ben"].pk), stdout=out
    )
    assert "1 of 2 seats allocated" in out.getvalue()
    console = tmp_path / "console.csv"
    console.write_text("Email,Last active date\nben@x.io,2026-02-01\n")
    out = io.StringIO()
    call_command("licences", "import-usage", str(console), "--product", "Viewer", stdout=out)
    assert "1 created" in out.getvalue()
    with pytest.raises(CommandError, match="as-of"):
        call_command("licences", "position", "--as-of", "yesterday")


@pytest.mark.parametrize(
    "path",
    [
        "/licences/",
        "/licences/add/",
        "/licences/allocations/",
        "/licences/allocations/add/",
        "/licences/products/",
        "/licences/products/add/",
        "/licences/families/",
        "/licences/suites/add/",
        "/licences/publishers/",
        "/licences/rules/",
        "/licences/core-factors/",
        "/licences/leavers/",
    ],
)
def test_generic_and_own_pages_render(shop: dict[str, Any], browser: Any, path: str) -> None:
    assert browser("Compliance").get(path).status_code == 200


def test_a_licence_and_a_seat_through_the_forms(shop: dict[str, Any], browser: Any) -> None:
    client = browser("Procurement")
    made = client.post(
        "/licences/add/",
        {
            "name": "Viewer extra",
            "product": shop["viewer"].pk,
            "metric": "user",
            "quantity": "3",
            "term": "perpetual",
            "version_rights": "this",
            "scope": "organisation",
            "reassignable": "on",
            "min_cores_per_processor": "0",
            "min_cores_per_server": "0",
            "core_pack_size": "1",
            "min_users_per_processor": "0",
            "min_users_per_server": "0",
            "idle_days": "90",
            "licence_key": "FORM-KEY-1",
        },
    )
    assert made.status_code == 302, made.content[:2000]
    licence = Entitlement.objects.get(name="Viewer extra")
    assert licence.has_licence_key and "FORM-KEY-1" not in licence.licence_key
    seat = browser("Helpdesk").post(
        "/licences/allocations/add/",
        {"entitlement": licence.pk, "person": shop["minh"].pk, "quantity": "1"},
    )
    assert seat.status_code == 302, seat.content[:2000]
    licence.refresh_from_db()
    assert licence.allocated == 1


def test_concurrency_log_import_feeds_the_concurrent_peak(
    lic: Lic, api: Any, tmp_path: Any
) -> None:
    cad = lic.product("AutoCAD")
    lic.ent(cad, "concurrent", 5, unit_cost=Decimal("300"), currency="EUR")
    now = timezone.now()
    log = "measured_at,users\n" + "".join(
        f"{(now - dt.timedelta(days=d)).isoformat()},{n}\n" for d, n in ((1, 4), (5, 8), (200, 20))
    )
    client = api("Compliance")
    bad = io.BytesIO(b"time,users\n2026-01-01T10:00,-3\n")
    bad.name = "flexlm.csv"
    refused = post_import(
        client, f"{API}/usage/concurrency-file?product_id={cad.pk}", {"file": bad}
    )
    assert refused.status_code == 422 and "row 1.users" in refused.json()["error"]["message"]
    upload = io.BytesIO(log.encode())
    upload.name = "flexlm.csv"
    done = post_import(
        client, f"{API}/usage/concurrency-file?product_id={cad.pk}", {"file": upload}
    )
    assert done.status_code == 200 and done.json()["created"] == 3
    # The peak of the last 90 days is 8 (the 20 is older): shortfall 3, true-up 900 EUR.
    row = lic.position(cad)[("concurrent", "org")]
    assert (row.consumed, row.shortfall, row.true_up_cost) == (8, 3, Decimal("900.00"))
    path = tmp_path / "peaks.json"
    path.write_text(json.dumps({"samples": [{"timestamp": now.isoformat(), "peak": 9}]}))
    out = io.StringIO()
    call_command("licences", "import-concurrency", str(path), "--product", "AutoCAD", stdout=out)
    assert "1 concurrency sample(s) imported" in out.getvalue()
    assert lic.position(cad)[("concurrent", "org")].consumed == 9
    helpdesk = io.BytesIO(log.encode())
    helpdesk.name = "flexlm.csv"
    denied = api("Helpdesk").post(
        f"{API}/usage/concurrency-file?product_id={cad.pk}", {"file": helpdesk}
    )
    assert denied.status_code == 403


def test_cli_loads_the_oracle_core_factor_table_once() -> None:
    out = io.StringIO()
    call_command("licences", "load-core-factors", stdout=out)
    assert f"{len(services.ORACLE_CORE_FACTORS)} core factor(s) added" in out.getvalue()
    out = io.StringIO()
    call_command("licences", "load-core-factors", stdout=out)
    assert "0 core factor(s) added" in out.getvalue()


def test_a_windows_server_licence_through_the_api_and_its_page(
    lic: Lic, api: Any, browser: Any
) -> None:
    windows = lic.product("Windows Server", "Microsoft")
    body = {
        "name": "Windows Server 2022 Datacenter, 48 cores",
        "product_id": windows.pk,
        "metric": "core",
        "quantity": 48,
        "min_cores_per_processor": 8,
        "min_cores_per_server": 16,
        "core_pack_size": 2,
    }
    made = post(api("Procurement"), f"{API}/entitlements/", body)
    assert made.status_code in (200, 201), made.content
    data = made.json()
    assert (data["min_cores_per_server"], data["core_pack_size"]) == (16, 2)
    assert data["core_factor_table"] is False and data["virtual_cores"] is False
    wrong = post(api("Procurement"), f"{API}/entitlements/", {**body, "metric": "user"})
    assert wrong.status_code == 422 and "metric" in wrong.content.decode()
    page = browser("Compliance").get(f"/licences/{data['id']}/")
    assert page.status_code == 200
    assert (
        "at least 8 cores per processor; at least 16 cores per server or VM; 2-core packs; "
        "the physical host"
    ) in page.content.decode()
