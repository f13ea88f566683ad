"""AWS EC2 ``describe-instances`` JSON → cloud resources: instances, subnets and VPCs.

Reads what ``aws ec2 describe-instances`` prints (``{"Reservations": [{"Instances": […]}]}``,
the same as boto3's response). Each instance is a Cloud Resource (provider aws, region from
its availability zone, resource id, type ``ec2:instance``, instance type, state, private IP,
the account from its reservation); its subnet and VPC are Cloud Resources too, linked
``VPC contains subnet contains instance``. Tags: ``Name`` names the instance; the source's
tag rules map other tags to the CI's owning team, support group, environment, criticality
or (as a fact) its cost centre.
"""

from __future__ import annotations

from typing import Any

from .base import DiscoveredItem, ParseError, Relation, load_json

DEFAULT_TAG_RULES: dict[str, list[str]] = {
    "owning_team": ["Owner", "owner", "Team", "team"],
    "cost_centre": ["CostCenter", "CostCentre", "cost-center", "cost-centre", "costcenter"],
    "environment": ["Environment", "environment", "Env", "env"],
}


def parse_ec2(
    data: bytes | str, tag_rules: dict[str, list[str]] | None = None
) -> list[DiscoveredItem]:
    """The instances, subnets and VPCs of a describe-instances response."""
    document = load_json(data, "EC2 describe-instances")
    if not isinstance(document, dict) or not isinstance(document.get("Reservations"), list):
        raise ParseError("no Reservations list (aws ec2 describe-instances output)", "Reservations")
    rules = tag_rules or DEFAULT_TAG_RULES
    items: dict[str, DiscoveredItem] = {}
    for r, reservation in enumerate(document["Reservations"]):
        where = f"Reservations[{r}]"
        if not isinstance(reservation, dict) or not isinstance(reservation.get("Instances"), list):
            raise ParseError("no Instances list", where)
        account = str(reservation.get("OwnerId") or "")
        for i, instance in enumerate(reservation["Instances"]):
            _instance(instance, f"{where}.Instances[{i}]", account, rules, items)
    return list(items.values())


def _tags(instance: dict[str, Any], where: str) -> dict[str, str]:
    tags = instance.get("Tags") or []
    if not isinstance(tags, list):
        raise ParseError("Tags is not a list", f"{where}.Tags")
    found = {}
    for t, tag in enumerate(tags):
        if not isinstance(tag, dict) or "Key" not in tag:
            raise ParseError("a tag without Key", f"{where}.Tags[{t}]")
        found[str(tag["Key"])] = str(tag.get("Value") or "")
    return found


def _region(zone: str) -> str:
    return zone[:-1] if zone and zone[-1].isalpha() else zone


def _cloud(ref: str, name: str, kind: str, resource_id: str, region: str) -> DiscoveredItem:
    return DiscoveredItem(
        ref=ref,
        ci_class="Cloud Resource",
        name=name,
        attributes={
            "provider": "aws",
            "resource_id": resource_id,
            "resource_type": kind,
            **({"region": region} if region else {}),
        },
        identifiers={"resource_id": resource_id},
    )


def _instance(
    instance: Any,
    where: str,
    account: str,
    rules: dict[str, list[str]],
    items: dict[str, DiscoveredItem],
) -> None:
    if not isinstance(instance, dict):
        raise ParseError("not an object", where)
    instance_id = str(instance.get("InstanceId") or "")
    if not instance_id.startswith("i-"):
        raise ParseError("missing or invalid InstanceId", f"{where}.InstanceId")
    tags = _tags(instance, where)
    zone = str((instance.get("Placement") or {}).get("AvailabilityZone") or "")
    region = _region(zone)
    state = str((instance.get("State") or {}).get("Name") or "")
    item = _cloud(
        f"instance {instance_id}",
        tags.get("Name") or instance_id,
        "ec2:instance",
        instance_id,
        region,
    )
    extra = {
        "instance_type": instance.get("InstanceType"),
        "state": state,
        "ip_address": instance.get("PrivateIpAddress"),
        "availability_zone": zone,
    }
    item.attributes.update({k: v for k, v in extra.items() if v})
    item.facts = {
        "account": account,
        "image_id": instance.get("ImageId") or "",
        "launch_time": str(instance.get("LaunchTime") or ""),
        "public_ip": instance.get("PublicIpAddress") or "",
        "tags": tags,
    }
    for field, keys in rules.items():
        value = next((tags[k] for k in keys if tags.get(k)), "")
        if not value:
            continue
        if field == "cost_centre":
            item.facts["cost_centre"] = value
        else:
            item.fields[field] = value
    items[item.ref] = item
    vpc_id, subnet_id = instance.get("VpcId"), instance.get("SubnetId")
    if subnet_id:
        ref = f"subnet {subnet_id}"
        subnet = items.setdefault(
            ref, _cloud(ref, str(subnet_id), "ec2:subnet", str(subnet_id), region)
        )
        subnet.attributes.setdefault("availability_zone", zone) if zone else None
        if not any(r.target_ref == item.ref for r in subnet.relations):
            subnet.relations.append(Relation("contains", item.ref))
        if vpc_id:
            vref = f"vpc {vpc_id}"
            vpc = items.setdefault(vref, _cloud(vref, str(vpc_id), "ec2:vpc", str(vpc_id), region))
            if not any(r.target_ref == ref for r in vpc.relations):
                vpc.relations.append(Relation("contains", ref))
