"""Security groups, their rules and subnets, as EC2's Describe* APIs return them.

A rule's peers are what IAM and EC2 see: CIDR ranges, managed prefix lists (whose
entries are resolved by the effects layer) and group references, which name a group
in an account (`UserId`), possibly across accounts or a peered VPC.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

ALL_PROTOCOLS = "-1"
_PROTOCOL_NUMBERS = {"all": "-1", "tcp": "6", "udp": "17", "icmp": "1", "icmpv6": "58", "esp": "50"}
PUBLIC_PREFIX = 0

# Managed prefix list id -> its CIDR entries; None where the list could not be read.
PrefixLists = Mapping[str, tuple[str, ...] | None]


def protocol_number(protocol: str | int) -> str:
    """EC2 accepts names or numbers; compare by number."""
    text = str(protocol).strip().lower()
    return _PROTOCOL_NUMBERS.get(text, text)


def is_public(cidr: str) -> bool:
    try:
        return ipaddress.ip_network(cidr, strict=False).prefixlen == PUBLIC_PREFIX
    except ValueError:
        return False


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
class GroupPeer:
    """A referenced group; `owner` is the account that owns it, where the rule says."""

    group_id: str
    owner: str | None = None


@dataclass(frozen=True)
class Rule:
    """One IpPermission: a protocol and port range, and the peers it names."""

    protocol: str
    from_port: int | None = None
    to_port: int | None = None
    groups: tuple[GroupPeer, ...] = ()
    cidrs: tuple[str, ...] = ()
    prefix_lists: tuple[str, ...] = ()

    @property
    def peer_groups(self) -> frozenset[str]:
        return frozenset(g.group_id for g in self.groups)

    def covers(self, traffic: Traffic) -> bool:
        if self.protocol == ALL_PROTOCOLS:
            return True
        if self.protocol != traffic.protocol:
            return False
        if traffic.port is None or self.from_port is None or self.from_port == -1:
            return True
        to_port = self.to_port if self.to_port is not None else self.from_port
        return self.from_port <= traffic.port <= to_port

    def names_group(self, groups: Iterable[SecurityGroup]) -> bool:
        """A reference admits a group's instances only when it is that group of that
        owner: the same id with another account's UserId is not the job's group."""
        wanted = {g.id: g.owner_id for g in groups}
        return any(
            peer.group_id in wanted and peer.owner in (None, "", wanted[peer.group_id])
            for peer in self.groups
        )

    def ranges(self, prefix_lists: PrefixLists) -> tuple[str, ...]:
        """Every CIDR the rule admits: its own and its prefix lists' entries."""
        entries = tuple(e for pl in self.prefix_lists for e in (prefix_lists.get(pl) or ()))
        return self.cidrs + entries

    def holds(self, network: str, prefix_lists: PrefixLists) -> bool:
        """True when one of the rule's ranges holds all of `network`."""
        wanted = ipaddress.ip_network(network, strict=False)
        for cidr in self.ranges(prefix_lists):
            try:
                block = ipaddress.ip_network(cidr, strict=False)
            except ValueError:
                continue
            if wanted.version == block.version and wanted.subnet_of(block):  # type: ignore[arg-type]
                return True
        return False

    def public_cidrs(self) -> tuple[str, ...]:
        return tuple(c for c in self.cidrs if is_public(c))

    def public_prefix_lists(self, prefix_lists: PrefixLists) -> tuple[str, ...]:
        return tuple(
            pl for pl in self.prefix_lists if any(is_public(e) for e in prefix_lists.get(pl) or ())
        )

    def public_part(self, prefix_lists: PrefixLists) -> Rule | None:
        """The part of the rule that admits the whole internet, or None."""
        cidrs, lists = self.public_cidrs(), self.public_prefix_lists(prefix_lists)
        if not cidrs and not lists:
            return None
        return Rule(self.protocol, self.from_port, self.to_port, cidrs=cidrs, prefix_lists=lists)

    def without_public(self, prefix_lists: PrefixLists) -> Rule:
        public = set(self.public_cidrs()) | set(self.public_prefix_lists(prefix_lists))
        return replace(
            self,
            cidrs=tuple(c for c in self.cidrs if c not in public),
            prefix_lists=tuple(p for p in self.prefix_lists if p not in public),
        )


@dataclass(frozen=True)
class SecurityGroup:
    id: str
    vpc_id: str | None
    ingress: tuple[Rule, ...]
    egress: tuple[Rule, ...]
    tags: Mapping[str, str] = field(default_factory=dict)
    name: str = ""
    owner_id: str | None = None

    def rules(self, direction: Direction) -> tuple[Rule, ...]:
        return self.ingress if direction is Direction.INGRESS else self.egress

    @property
    def prefix_lists(self) -> frozenset[str]:
        return frozenset(p for r in self.ingress + self.egress for p in r.prefix_lists)


@dataclass(frozen=True)
class Subnet:
    id: str
    vpc_id: str
    cidr: str
    available_addresses: int


# --- EC2 Describe answers ------------------------------------------------------------


def security_group_from_api(raw: Mapping[str, Any]) -> SecurityGroup:
    return SecurityGroup(
        id=str(raw["GroupId"]),
        vpc_id=raw.get("VpcId"),
        ingress=tuple(rule_from_api(p) for p in raw.get("IpPermissions") or []),
        egress=tuple(rule_from_api(p) for p in raw.get("IpPermissionsEgress") or []),
        tags={str(t.get("Key")): str(t.get("Value", "")) for t in raw.get("Tags") or []},
        name=str(raw.get("GroupName", "")),
        owner_id=raw.get("OwnerId"),
    )


def rule_from_api(permission: Mapping[str, Any]) -> Rule:
    return Rule(
        protocol=protocol_number(permission.get("IpProtocol", ALL_PROTOCOLS)),
        from_port=_port(permission.get("FromPort")),
        to_port=_port(permission.get("ToPort")),
        groups=tuple(
            GroupPeer(str(p["GroupId"]), p.get("UserId"))
            for p in permission.get("UserIdGroupPairs") or []
            if p.get("GroupId")
        ),
        cidrs=tuple(r["CidrIp"] for r in permission.get("IpRanges") or [] if r.get("CidrIp"))
        + tuple(r["CidrIpv6"] for r in permission.get("Ipv6Ranges") or [] if r.get("CidrIpv6")),
        prefix_lists=tuple(
            p["PrefixListId"]
            for p in permission.get("PrefixListIds") or []
            if p.get("PrefixListId")
        ),
    )


def subnet_from_api(raw: Mapping[str, Any]) -> Subnet:
    # An IPv6-only subnet has no CidrBlock: its IPv6 block stands for it.
    ipv6 = [b.get("Ipv6CidrBlock") for b in raw.get("Ipv6CidrBlockAssociationSet") or []]
    return Subnet(
        id=raw["SubnetId"],
        vpc_id=raw["VpcId"],
        cidr=raw.get("CidrBlock") or next((b for b in ipv6 if b), ""),
        available_addresses=int(raw.get("AvailableIpAddressCount", 0)),
    )


def _port(raw: object) -> int | None:
    if raw is None or raw == "":
        return None
    return int(str(raw))
