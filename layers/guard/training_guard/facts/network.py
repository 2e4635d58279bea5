"""Security groups, their rules and subnets, as EC2's Describe* APIs return them."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from training_guard.facts.jobs import parse_tags

ALL_PROTOCOLS = "-1"
_PROTOCOL_NUMBERS = {"all": "-1", "tcp": "6", "udp": "17", "icmp": "1", "icmpv6": "58", "esp": "50"}


def protocol_number(protocol: str | int) -> str:
    """EC2 accepts names or numbers; compare by number."""
    text = str(protocol).strip().lower()
    return _PROTOCOL_NUMBERS.get(text, text)


class Direction(StrEnum):
    INGRESS = "inbound"
    EGRESS = "outbound"


@dataclass(frozen=True)
class Traffic:
    """A protocol and, for TCP and UDP, one port."""

    name: str
    protocol: str
    port: int | None = None


IKE = Traffic("UDP 500 (IKE)", "17", 500)
ESP = Traffic("IP protocol 50 (ESP)", "50")
ALL_TRAFFIC = Traffic("all traffic", ALL_PROTOCOLS)
IPSEC_TRAFFIC = (IKE, ESP)


@dataclass(frozen=True)
class Rule:
    """One IpPermission: a protocol and port range, and the peers it names."""

    protocol: str
    from_port: int | None = None
    to_port: int | None = None
    peer_groups: frozenset[str] = frozenset()
    cidrs: tuple[str, ...] = ()

    def covers(self, traffic: Traffic) -> bool:
        if self.protocol == ALL_PROTOCOLS:
            return True
        if self.protocol != traffic.protocol:
            return False
        if traffic.port is None or self.from_port is None or self.from_port == -1:
            return True
        to_port = self.to_port if self.to_port is not None else self.from_port
        return self.from_port <= traffic.port <= to_port

    def names_group(self, group_ids: Iterable[str]) -> bool:
        return not self.peer_groups.isdisjoint(group_ids)

    def contains_networks(self, networks: Iterable[str]) -> bool:
        """True when one of the rule's CIDRs holds every one of `networks`."""
        wanted = [ipaddress.ip_network(n, strict=False) for n in networks]
        for cidr in self.cidrs:
            block = ipaddress.ip_network(cidr, strict=False)
            # With the networks unknown, only all of IPv4 surely holds them.
            if not wanted and block.prefixlen == 0 and block.version == 4:
                return True
            if wanted and all(
                n.version == block.version and n.subnet_of(block)  # type: ignore[arg-type]
                for n in wanted
            ):
                return True
        return False

    @property
    def public_cidrs(self) -> tuple[str, ...]:
        return tuple(c for c in self.cidrs if ipaddress.ip_network(c, strict=False).prefixlen == 0)

    def without_public_ranges(self) -> Rule:
        return replace(self, cidrs=tuple(c for c in self.cidrs if c not in self.public_cidrs))


@dataclass(frozen=True)
class SecurityGroup:
    id: str
    vpc_id: str | None
    ingress: tuple[Rule, ...]
    egress: tuple[Rule, ...]
    tags: Mapping[str, str] = field(default_factory=dict)
    name: str = ""

    def rules(self, direction: Direction) -> tuple[Rule, ...]:
        return self.ingress if direction is Direction.INGRESS else self.egress


@dataclass(frozen=True)
class Subnet:
    id: str
    vpc_id: str
    cidr: str
    available_addresses: int


def security_group_from_api(raw: Mapping[str, Any]) -> SecurityGroup:
    return SecurityGroup(
        id=raw["GroupId"],
        vpc_id=raw.get("VpcId"),
        ingress=tuple(rule_from_api(p) for p in raw.get("IpPermissions", [])),
        egress=tuple(rule_from_api(p) for p in raw.get("IpPermissionsEgress", [])),
        tags=parse_tags(raw.get("Tags")),
        name=raw.get("GroupName", ""),
    )


def rule_from_api(permission: Mapping[str, Any]) -> Rule:
    return Rule(
        protocol=protocol_number(permission.get("IpProtocol", ALL_PROTOCOLS)),
        from_port=_port(permission.get("FromPort")),
        to_port=_port(permission.get("ToPort")),
        peer_groups=frozenset(
            p["GroupId"] for p in permission.get("UserIdGroupPairs", []) if p.get("GroupId")
        ),
        cidrs=tuple(r["CidrIp"] for r in permission.get("IpRanges", []) if r.get("CidrIp"))
        + tuple(r["CidrIpv6"] for r in permission.get("Ipv6Ranges", []) if r.get("CidrIpv6")),
    )


def subnet_from_api(raw: Mapping[str, Any]) -> Subnet:
    return Subnet(
        id=raw["SubnetId"],
        vpc_id=raw["VpcId"],
        cidr=raw["CidrBlock"],
        available_addresses=int(raw.get("AvailableIpAddressCount", 0)),
    )


def _port(raw: object) -> int | None:
    if raw is None or raw == "":
        return None
    return int(str(raw))
