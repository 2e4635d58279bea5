"""EC2: rules for protocols without ports.

AWS: an IpPermission for a protocol other than TCP, UDP, ICMP or ICMPv6 (such as
50, ESP, which IPsec needs) takes no FromPort/ToPort; the rule covers the whole
protocol and DescribeSecurityGroups returns it without ports.
moto 5.2: `SecurityGroupRule.__init__` calls int(None) on the missing ports and the
request fails with a 500.
"""

from __future__ import annotations

from typing import Any

from moto.ec2.models import security_groups

_PORTED_PROTOCOLS = {"tcp", "udp", "icmp", "icmpv6", "6", "17", "1", "58", "-1", "all"}


def install() -> None:
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
