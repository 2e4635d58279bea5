"""EC2: rules for protocols without ports, and rules rewritten by number.

AWS: an IpPermission for a protocol other than TCP, UDP, ICMP or ICMPv6 (such as
50, ESP, which IPsec needs) takes no FromPort/ToPort; the rule covers the whole
protocol and DescribeSecurityGroups returns it without ports.
moto 5.2: `SecurityGroupRule.__init__` calls int(None) on the missing ports and the
request fails with a 500.

AWS: DescribeSecurityGroups(GroupNames=...) looks in the default VPC only (a group
name is unique only within its VPC; EC2 API reference, DescribeSecurityGroups).
moto 5.2: returns the groups of that name from every VPC.

AWS: ModifySecurityGroupRules accepts a protocol by number ("6") as every rule
call does, and the rule is then the same as one written "tcp".
moto 5.2: stores "6" as given, so a later revoke of that rule by number or by name
finds nothing to revoke.
"""

from __future__ import annotations

from typing import Any

from moto.ec2.models import security_groups

_PROTOCOL_NAMES = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}

_PORTED_PROTOCOLS = {"tcp", "udp", "icmp", "icmpv6", "6", "17", "1", "58", "-1", "all"}


def install() -> None:
    _accept_portless_protocols()
    _normalise_modified_protocols()
    _names_resolve_in_the_default_vpc()


def _names_resolve_in_the_default_vpc() -> None:
    backend = security_groups.SecurityGroupBackend
    original = backend.describe_security_groups

    def describe(
        self: Any, group_ids: Any = None, groupnames: Any = None, filters: Any = None
    ) -> Any:
        groups = original(self, group_ids, groupnames, filters)
        if not groupnames:
            return groups
        default_vpcs = {vpc.id for vpc in self.vpcs.values() if vpc.is_default}
        return [g for g in groups if g.vpc_id in default_vpcs]

    backend.describe_security_groups = describe  # type: ignore[method-assign]


def _normalise_modified_protocols() -> None:
    backend = security_groups.SecurityGroupBackend
    original = backend.modify_security_group_rules

    def modify(self: Any, group_id: str, rules: dict[str, dict[str, Any]]) -> None:
        for rule in rules.values():
            protocol = str(rule.get("IpProtocol", ""))
            rule["IpProtocol"] = _PROTOCOL_NAMES.get(protocol, rule.get("IpProtocol"))
        original(self, group_id, rules)

    backend.modify_security_group_rules = modify  # type: ignore[method-assign]


def _accept_portless_protocols() -> None:
    original = security_groups.SecurityGroupRule.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        ec2_backend, ip_protocol, group_id, from_port, to_port, *rest = args
        portless = (
            ip_protocol is not None
            and str(ip_protocol).lower() not in _PORTED_PROTOCOLS
            and from_port is None
            and to_port is None
        )
        if portless:
            original(self, ec2_backend, ip_protocol, group_id, "-1", "-1", *rest, **kwargs)
            self.from_port = self.to_port = None
        else:
            original(self, *args, **kwargs)

    security_groups.SecurityGroupRule.__init__ = init  # type: ignore[method-assign]
