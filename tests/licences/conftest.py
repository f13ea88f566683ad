"""Licence fixtures: a small catalogue and estate built through the services.

``lic`` gives helpers: ``product(name, publisher, **)`` creates a licensable product with a
normalisation rule mapping the CMDB entries of that name to it; ``device(name, **)`` a CI;
``install(ci, name, version)`` a CMDB installation (mapped by the rules); ``ent(product, metric,
quantity, **)`` an entitlement; ``position(product)`` the computed rows by (metric, scope).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from assetgraph.cmdb import services as cmdb
from assetgraph.cmdb.models import CI, CIClass, RelationshipType
from assetgraph.core.actor import Actor
from assetgraph.licences import services
from assetgraph.licences.evidence import compute
from assetgraph.licences.models import Entitlement, Product, Publisher
from assetgraph.licences.position import PositionRow
from tests.assets.conftest import catalogue, make_asset


class Lic:
    """Builders over the services (every write audited, as in production)."""

    def __init__(self, actor: Actor, site: dict[str, Any]) -> None:
        self.actor = actor
        self.site = site
        self.publishers: dict[str, Publisher] = {}

    def publisher(self, name: str) -> Publisher:
        if name not in self.publishers:
            self.publishers[name] = services.create_publisher(self.actor, {"name": name})
        return self.publishers[name]

    def product(self, name: str, publisher: str = "Contoso", **values: Any) -> Product:
        product = services.create_product(
            self.actor, {"name": name, "publisher": self.publisher(publisher), **values}
        )
        services.create_rule(
            self.actor,
            {"publisher_pattern": "*", "name_pattern": name, "product": product, "priority": 10},
        )
        return product

    def device(self, name: str, klass: str = "Computer System", **values: Any) -> CI:
        return cmdb.create_ci(
            self.actor, {"name": name, "ci_class": CIClass.objects.get(name=klass), **values}
        )

    def install(self, ci: CI, name: str, version: str = "1.0", publisher: str = "Contoso") -> Any:
        made = cmdb.record_software_install(
            self.actor, ci, {"publisher": publisher, "product": name, "version": version}
        )
        services.apply_normalisation_rules(self.actor)
        return made

    def relate(self, source: CI, kind: str, target: CI) -> None:
        cmdb.add_relationship(
            self.actor,
            {"source": source, "target": target, "type": RelationshipType.objects.get(name=kind)},
        )

    def ent(
        self, product: Product | None, metric: str, quantity: int | None, **values: Any
    ) -> Entitlement:
        data: dict[str, Any] = {
            "name": f"{product or values.get('suite')} {metric}",
            "product": product,
            "metric": metric,
            "quantity": quantity,
            **values,
        }
        return services.create_entitlement(self.actor, data)

    def position(self, product: Product | None = None) -> dict[tuple[str, str], PositionRow]:
        rows = compute(
            Entitlement.objects.all(), product_ids={product.pk} if product else None
        ).rows
        return {
            (r.metric, r.scope): r for r in rows if product is None or r.product_id == product.pk
        }


@pytest.fixture
def lic(site: dict[str, Any], system: Actor) -> Lic:
    return Lic(system, site)


__all__ = ["Decimal", "Lic", "catalogue", "lic", "make_asset"]
