"""Security-group rules as EC2 returns them, what traffic they cover and whom they admit."""

from __future__ import annotations

import pytest

from training_guard.facts.network import (
    ALL_TRAFFIC,
    ESP,
    IKE,
    GroupPeer,
    PrefixLists,
    Rule,
    SecurityGroup,
    Traffic,
    is_public,
    protocol_number,
    rule_from_api,
    security_group_from_api,
    subnet_from_api,
)

OWNER, OTHER = "123456789012", "210987654321"
G = "sg-0c0ffee0c0ffee000"


@pytest.mark.parametrize(
    ("rule", "traffic", "covered"),
    [
        (Rule("-1"), IKE, True),
        (Rule("-1"), ESP, True),
        (Rule("17", 500, 500), IKE, True),
        (Rule("17", 400, 600), IKE, True),
        (Rule("17", 0, 65535), IKE, True),
        (Rule("17", 501, 600), IKE, False),
        (Rule("17", 400, 499), IKE, False),
        (Rule("17", 500), IKE, True),  # no ToPort: the one port
        (Rule("6", 500, 500), IKE, False),
        (Rule("50"), ESP, True),
        (Rule("50"), IKE, False),
        (Rule("17", -1, -1), IKE, True),
        (Rule("17"), IKE, True),
        (Rule("50"), ALL_TRAFFIC, False),
        (Rule("-1"), ALL_TRAFFIC, True),
    ],
)
def test_rule_covers(rule: Rule, traffic: Traffic, covered: bool) -> None:
    assert rule.covers(traffic) is covered


@pytest.mark.parametrize(
    ("name", "number"),
    [("udp", "17"), ("UDP", "17"), ("tcp", "6"), ("all", "-1"), (50, "50"), ("esp", "50"), (" 17 ", "17"), ("icmpv6", "58")],
)  # fmt: skip
def test_protocols_compare_by_number(name: str | int, number: str) -> None:
    assert protocol_number(name) == number


def test_rule_from_api_reads_groups_prefix_lists_and_both_address_families() -> None:
    rule = rule_from_api(
        {
            "IpProtocol": "udp",
            "FromPort": 500,
            "ToPort": 500,
            "UserIdGroupPairs": [
                {"GroupId": "sg-1", "UserId": OWNER},
                {"GroupId": "sg-2", "UserId": OTHER, "VpcPeeringConnectionId": "pcx-1"},
                {"GroupId": "sg-3"},
            ],
            "IpRanges": [{"CidrIp": "10.0.0.0/16"}],
            "Ipv6Ranges": [{"CidrIpv6": "::/0"}],
            "PrefixListIds": [{"PrefixListId": "pl-63a5400a", "Description": "S3"}],
        }
    )
    assert rule == Rule(
        "17",
        500,
        500,
        groups=(GroupPeer("sg-1", OWNER), GroupPeer("sg-2", OTHER), GroupPeer("sg-3")),
        cidrs=("10.0.0.0/16", "::/0"),
        prefix_lists=("pl-63a5400a",),
    )
    assert rule.peer_groups == {"sg-1", "sg-2", "sg-3"}
    assert rule.public_cidrs() == ("::/0",)


def test_protocol_50_rule_has_no_ports() -> None:
    rule = rule_from_api({"IpProtocol": "50", "UserIdGroupPairs": [{"GroupId": "sg-1"}]})
    assert (rule.from_port, rule.to_port) == (None, None)
    assert rule.groups == (GroupPeer("sg-1"),)


def test_security_group_from_api_keeps_its_owner() -> None:
    group = security_group_from_api(
        {
            "GroupId": G,
            "GroupName": "training",
            "OwnerId": OWNER,
            "VpcId": "vpc-1",
            "IpPermissions": [{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": G, "UserId": OWNER}]}],
            "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "PrefixListIds": [{"PrefixListId": "pl-1"}]}],
            "Tags": [{"Key": "team", "Value": "fraud"}],
        }
    )  # fmt: skip
    assert (group.id, group.owner_id, group.vpc_id, group.name) == (G, OWNER, "vpc-1", "training")
    assert group.ingress == (Rule("-1", groups=(GroupPeer(G, OWNER),)),)
    assert group.tags == {"team": "fraud"}
    assert group.prefix_lists == {"pl-1"}


def test_subnet_from_api() -> None:
    subnet = subnet_from_api(
        {
            "SubnetId": "subnet-1",
            "VpcId": "vpc-1",
            "CidrBlock": "10.0.1.0/24",
            "AvailableIpAddressCount": 250,
        }
    )
    assert (subnet.id, subnet.vpc_id, subnet.cidr, subnet.available_addresses) == (
        "subnet-1",
        "vpc-1",
        "10.0.1.0/24",
        250,
    )


# --- group references are owner-aware -----------------------------------------------


def group(owner: str | None = OWNER, group_id: str = G) -> SecurityGroup:
    return SecurityGroup(group_id, "vpc-1", (), (), owner_id=owner)


@pytest.mark.parametrize(
    ("peer", "names"),
    [
        (GroupPeer(G), True),  # no UserId: a group of the same account
        (GroupPeer(G, ""), True),
        (GroupPeer(G, OWNER), True),
        (GroupPeer(G, OTHER), False),  # the same id in another account is another group
        (GroupPeer("sg-other", OWNER), False),
    ],
)
def test_names_group_is_owner_aware(peer: GroupPeer, names: bool) -> None:
    assert Rule("-1", groups=(peer,)).names_group([group()]) is names


def test_names_group_with_several_groups_and_peers() -> None:
    rule = Rule("-1", groups=(GroupPeer(G, OTHER), GroupPeer("sg-b", OWNER)))
    assert rule.names_group([group(), group(group_id="sg-b")])
    assert not rule.names_group([group()])
    assert not rule.names_group([])
    assert not Rule("-1", cidrs=("10.0.0.0/8",)).names_group([group()])


# --- ranges: CIDRs and managed prefix lists ---------------------------------------------

LISTS: PrefixLists = {
    "pl-vpc": ("10.0.0.0/16",),
    "pl-two": ("10.0.1.0/24", "192.168.0.0/16"),
    "pl-v6": ("2001:db8::/32",),
    "pl-open": ("10.0.0.0/8", "0.0.0.0/0"),
    "pl-open6": ("::/0",),
    "pl-unread": None,
    "pl-empty": (),
}


@pytest.mark.parametrize(
    ("rule", "network", "holds"),
    [
        (Rule("-1", cidrs=("10.0.0.0/16",)), "10.0.1.0/24", True),
        (Rule("-1", cidrs=("10.0.1.0/24",)), "10.0.2.0/24", False),
        (Rule("-1", cidrs=("10.0.1.0/24", "10.0.0.0/8")), "10.0.2.0/24", True),
        (Rule("-1", cidrs=("0.0.0.0/0",)), "0.0.0.0/0", True),
        (Rule("-1", cidrs=("::/0",)), "10.0.1.0/24", False),  # another address family
        (Rule("-1", cidrs=("10.0.1.5/24",)), "10.0.1.0/24", True),  # host bits tolerated
        (Rule("-1", cidrs=("not-a-cidr",)), "10.0.1.0/24", False),
        (Rule("-1", prefix_lists=("pl-vpc",)), "10.0.1.0/24", True),
        (Rule("-1", prefix_lists=("pl-two",)), "10.0.1.0/24", True),
        (Rule("-1", prefix_lists=("pl-two",)), "10.0.2.0/24", False),
        (Rule("-1", prefix_lists=("pl-v6",)), "2001:db8:1::/48", True),
        (Rule("-1", prefix_lists=("pl-v6",)), "10.0.1.0/24", False),
        (Rule("-1", prefix_lists=("pl-unread",)), "10.0.1.0/24", False),  # unread: nothing known
        (Rule("-1", prefix_lists=("pl-missing",)), "10.0.1.0/24", False),
        (Rule("-1", prefix_lists=("pl-empty",)), "10.0.1.0/24", False),
        (Rule("-1", cidrs=("192.168.0.0/16",), prefix_lists=("pl-vpc",)), "10.0.1.0/24", True),
    ],
)
def test_rule_holds_a_network(rule: Rule, network: str, holds: bool) -> None:
    assert rule.holds(network, LISTS) is holds


def test_ranges_resolve_prefix_lists() -> None:
    rule = Rule("-1", cidrs=("172.16.0.0/12",), prefix_lists=("pl-two", "pl-unread"))
    assert rule.ranges(LISTS) == ("172.16.0.0/12", "10.0.1.0/24", "192.168.0.0/16")


@pytest.mark.parametrize(
    ("cidr", "public"),
    [
        ("0.0.0.0/0", True),
        ("::/0", True),
        ("0.0.0.0/1", False),
        ("10.0.0.0/8", False),
        ("junk", False),
    ],
)
def test_is_public(cidr: str, public: bool) -> None:
    assert is_public(cidr) is public


@pytest.mark.parametrize(
    ("rule", "part"),
    [
        (Rule("6", 22, 22, cidrs=("0.0.0.0/0",)), Rule("6", 22, 22, cidrs=("0.0.0.0/0",))),
        (Rule("6", 22, 22, cidrs=("10.0.0.0/8", "::/0")), Rule("6", 22, 22, cidrs=("::/0",))),
        (Rule("6", 22, 22, prefix_lists=("pl-open",)), Rule("6", 22, 22, prefix_lists=("pl-open",))),
        (Rule("-1", prefix_lists=("pl-vpc", "pl-open6")), Rule("-1", prefix_lists=("pl-open6",))),
        (Rule("6", 443, 443, cidrs=("0.0.0.0/0",), prefix_lists=("pl-open",), groups=(GroupPeer(G),)),
         Rule("6", 443, 443, cidrs=("0.0.0.0/0",), prefix_lists=("pl-open",))),
        # Not public: private ranges only, a list that could not be read, a group.
        (Rule("6", 22, 22, prefix_lists=("pl-vpc", "pl-two")), None),
        (Rule("6", 22, 22, prefix_lists=("pl-unread",)), None),
        (Rule("6", 22, 22, prefix_lists=("pl-missing",)), None),
        (Rule("6", 22, 22, cidrs=("10.0.0.0/8",), groups=(GroupPeer(G),)), None),
    ],
)  # fmt: skip
def test_public_part(rule: Rule, part: Rule | None) -> None:
    assert rule.public_part(LISTS) == part


def test_without_public_keeps_every_other_peer() -> None:
    rule = Rule(
        "-1",
        groups=(GroupPeer(G, OWNER),),
        cidrs=("0.0.0.0/0", "10.0.0.0/16", "::/0"),
        prefix_lists=("pl-open", "pl-vpc", "pl-unread"),
    )
    assert rule.without_public(LISTS) == Rule(
        "-1",
        groups=(GroupPeer(G, OWNER),),
        cidrs=("10.0.0.0/16",),
        prefix_lists=("pl-vpc", "pl-unread"),
    )
    assert rule.without_public(LISTS).public_part(LISTS) is None
