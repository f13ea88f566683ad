"""Capped related tables on detail pages say "Showing N of M" with the list and an export."""

from __future__ import annotations

from typing import Any

from assetgraph.org import services


def test_department_people_table_says_it_is_capped(
    site: dict[str, Any], browser: Any, system: Any
) -> None:
    it = site["it"]
    for n in range(50):  # plus Ana and Ben: 52 people in IT
        services.create_person(
            system,
            {"employee_number": f"X{n}", "first_name": "P", "last_name": f"{n}", "department": it},
        )
    client = browser("Read-only")
    html = client.get(f"/org/departments/{it.pk}/").content.decode()
    assert "Showing 50 of 52" in html
    assert f"/org/people/?department_id={it.pk}" in html
    export_url = f"/api/org/people/export?format=csv&amp;department_id={it.pk}"
    assert export_url in html
    export = client.get(export_url.replace("&amp;", "&"))
    assert export.status_code == 200 and export.content.decode().count("\n") >= 53
    finance = client.get(f"/org/departments/{site['finance'].pk}/").content.decode()
    assert "Showing" not in finance  # one person: not capped, no note
