"""The facts of a whole fleet of jobs, each loaded once, for `training-guard scan`.

Hundreds of running jobs share a handful of security groups, subnets, VPCs and keys:
loaded job by job, as the job guard loads one job's, they would cost hundreds of
identical calls. Here each is asked once, in batches of up to `batch` ids a call, and
every job gets the `Evidence` the job guard would have loaded for it alone: the same
parsing (effects/loaders.py), the same facts, nothing another job brought in.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from typing import Any

from training_guard.effects.aws import Clients
from training_guard.effects.instances import InstanceCatalog
from training_guard.effects.loaders import (
    FILTER_VALUES,
    describe_key,
    describe_security_groups,
    describe_subnets,
    key_identity,
    prefix_list_entries,
    vpcs_with_s3_endpoint,
)
from training_guard.facts.evidence import Evidence, Fact
from training_guard.facts.identifiers import arn_field
from training_guard.facts.instances import InstanceProfile
from training_guard.facts.jobs import JobFacts
from training_guard.facts.keys import KeyFacts
from training_guard.facts.network import SecurityGroup, Subnet, security_group_from_api

# DescribeSecurityGroups returns between 5 and 1000 groups a page (EC2 API reference).
GUARDED_PAGE_SIZE = 1000


def guarded_groups(
    ec2: Any, tag_key: str, page_size: int = GUARDED_PAGE_SIZE
) -> list[SecurityGroup]:
    """Every group tagged `tag_key=true`, page by page."""
    pages = ec2.get_paginator("describe_security_groups").paginate(
        Filters=[{"Name": f"tag:{tag_key}", "Values": ["true"]}],
        PaginationConfig={"PageSize": page_size},
    )
    found = (security_group_from_api(g) for page in pages for g in page["SecurityGroups"])
    return sorted({g.id: g for g in found}.values(), key=lambda g: g.id)


class FleetFacts:
    """What the controls need about many jobs, loaded together, handed out job by job."""

    def __init__(
        self, clients: Clients, needs: frozenset[Fact], *, batch: int | None = None
    ) -> None:
        batch = batch or FILTER_VALUES
        if not 1 <= batch <= FILTER_VALUES:
            raise ValueError(f"batch must be between 1 and {FILTER_VALUES}")
        self._clients = clients
        self._needs = needs
        self._batch = batch
        self._groups: dict[str, SecurityGroup] = {}
        self._subnets: dict[str, Subnet] = {}
        # Ids already asked of EC2, found or not: a missing one is not asked again.
        self._asked_groups: set[str] = set()
        self._asked_subnets: set[str] = set()
        self._asked_vpcs: set[tuple[str, str]] = set()
        self._vpcs_with_endpoint: set[str] = set()
        self._instances: dict[str, InstanceProfile | None] = {}
        self._prefix_lists: dict[str, tuple[str, ...] | None] = {}
        self._keys = _Keys(clients, Fact.KEY_POLICIES in needs)

    def know(self, groups: Iterable[SecurityGroup]) -> None:
        """Groups already described (the guarded ones): not asked for again."""
        for group in groups:
            self._groups[group.id] = group
            self._asked_groups.add(group.id)

    def load(self, jobs: Sequence[JobFacts], group_ids: Iterable[str] = ()) -> None:
        """Everything the jobs' controls need, and the groups `group_ids` besides."""
        specs = [spec for job in jobs for spec in job.specs]
        wanted_groups = list(group_ids)
        if Fact.SECURITY_GROUPS in self._needs:
            wanted_groups = [*(g for s in specs for g in s.security_groups), *wanted_groups]
        self._load_groups(wanted_groups)
        if Fact.SUBNETS in self._needs:
            self._load_subnets([n for s in specs for n in s.subnets])
        if Fact.S3_ENDPOINTS in self._needs:
            self._load_endpoints(jobs)
        if Fact.INSTANCE_TYPES in self._needs:
            types = _unique(t for s in specs for t in s.instance_types)
            self._instances.update(InstanceCatalog(self._clients.ec2).profiles(types))
        if Fact.KEYS in self._needs:
            self._keys.load(jobs)
        # Every group is judged with the prefix lists its rules name.
        self._load_prefix_lists(self.groups(wanted_groups).values())

    def evidence(self, job: JobFacts) -> Evidence:
        """The job's Evidence, as effects.loaders.load_evidence would load it."""
        group_ids = _unique(g for spec in job.specs for g in spec.security_groups)
        subnet_ids = _unique(s for spec in job.specs for s in spec.subnets)
        groups = self.groups(group_ids) if Fact.SECURITY_GROUPS in self._needs else {}
        subnets = (
            {s: self._subnets[s] for s in subnet_ids if s in self._subnets}
            if Fact.SUBNETS in self._needs
            else {}
        )
        endpoints = (
            frozenset(s.vpc_id for s in subnets.values()) & self._vpcs_with_endpoint
            if Fact.S3_ENDPOINTS in self._needs
            else frozenset()
        )
        types = _unique(t for spec in job.specs for t in spec.instance_types)
        instances = (
            {t: self._instances.get(t) for t in types} if Fact.INSTANCE_TYPES in self._needs else {}
        )
        keys = self._keys.of(job) if Fact.KEYS in self._needs else {}
        prefix_lists = (
            self.prefix_lists(groups.values()) if Fact.PREFIX_LISTS in self._needs else {}
        )
        return Evidence(groups, prefix_lists, subnets, endpoints, instances, keys)

    def groups(self, group_ids: Iterable[str]) -> dict[str, SecurityGroup]:
        """The loaded groups among `group_ids`, in their order."""
        return {g: self._groups[g] for g in _unique(group_ids) if g in self._groups}

    def prefix_lists(self, groups: Iterable[SecurityGroup]) -> dict[str, tuple[str, ...] | None]:
        """The entries of the lists the groups' rules name, as prefix_list_entries gives them."""
        wanted = sorted({p for g in groups for p in g.prefix_lists})
        return {p: self._prefix_lists[p] for p in wanted if p in self._prefix_lists}

    # --- loading, batch by batch -------------------------------------------------------

    def _load_groups(self, group_ids: Iterable[str]) -> None:
        missing = [g for g in _unique(group_ids) if g not in self._asked_groups]
        for chunk in _chunks(missing, self._batch):
            self._groups.update(describe_security_groups(self._clients.ec2, chunk))
        self._asked_groups.update(missing)

    def _load_subnets(self, subnet_ids: Iterable[str]) -> None:
        missing = [s for s in _unique(subnet_ids) if s not in self._asked_subnets]
        for chunk in _chunks(missing, self._batch):
            self._subnets.update(describe_subnets(self._clients.ec2, chunk))
        self._asked_subnets.update(missing)

    def _load_endpoints(self, jobs: Sequence[JobFacts]) -> None:
        # The endpoint's service name holds the region: VPCs are asked region by region.
        by_region: dict[str, list[str]] = {}
        for job in jobs:
            for spec in job.specs:
                for subnet_id in spec.subnets:
                    subnet = self._subnets.get(subnet_id)
                    if subnet and (job.region, subnet.vpc_id) not in self._asked_vpcs:
                        by_region.setdefault(job.region, []).append(subnet.vpc_id)
        for region, vpcs in by_region.items():
            missing = sorted(set(vpcs))
            for chunk in _chunks(missing, self._batch):
                found = vpcs_with_s3_endpoint(self._clients.ec2, chunk, region)
                self._vpcs_with_endpoint.update(found)
            self._asked_vpcs.update((region, v) for v in missing)

    def _load_prefix_lists(self, groups: Iterable[SecurityGroup]) -> None:
        unread = [g for g in groups if not g.prefix_lists <= self._prefix_lists.keys()]
        if unread:
            self._prefix_lists.update(prefix_list_entries(self._clients.ec2, unread))


class _Keys:
    """One DescribeKey (and GetKeyPolicy) per key of the fleet, however many jobs name it
    and in whichever form (ARN or key id), handed out as load_keys would for each job."""

    def __init__(self, clients: Clients, with_policies: bool) -> None:
        self._clients = clients
        self._with_policies = with_policies
        # (account, key identity) -> (the reference it was asked by, what KMS said)
        self._asked: dict[tuple[str, str], tuple[str, KeyFacts]] = {}
        # (account, reference) -> KMS's answer to a reference the shared answer cannot stand for
        self._own: dict[tuple[str, str], KeyFacts] = {}
        self._policy_wanted: set[tuple[str, str]] = set()

    def load(self, jobs: Sequence[JobFacts]) -> None:
        first_reference: dict[tuple[str, str], str] = {}
        for job in jobs:
            for reference, policy in _key_references(job, self._with_policies):
                key = (job.account, key_identity(reference))
                first_reference.setdefault(key, reference)
                if policy:
                    self._policy_wanted.add(key)
        for key, reference in first_reference.items():
            if key not in self._asked:
                self._asked[key] = (reference, self._describe(key[0], reference))

    def of(self, job: JobFacts) -> dict[str, KeyFacts]:
        """As load_keys: a job's references to one key share the answer to the first."""
        by_identity: dict[str, KeyFacts] = {}
        keys: dict[str, KeyFacts] = {}
        for reference, policy in _key_references(job, self._with_policies):
            identity = key_identity(reference)
            if identity not in by_identity:
                answer = self._answer(job, reference)
                by_identity[identity] = answer if policy else _without_policy(answer)
            keys[reference] = replace(by_identity[identity], reference=reference)
        return keys

    def _answer(self, job: JobFacts, reference: str) -> KeyFacts:
        asked = self._asked.get((job.account, key_identity(reference)))
        if asked is not None and _stands_for(reference, *asked, job.account, job.region):
            return asked[1]
        own = self._own.get((job.account, reference))
        if own is None:
            own = self._own[(job.account, reference)] = self._describe(job.account, reference)
        return own

    def _describe(self, account: str, reference: str) -> KeyFacts:
        policy = (account, key_identity(reference)) in self._policy_wanted
        return describe_key(self._clients.kms, reference, account, policy)


def _key_references(job: JobFacts, with_policies: bool) -> Iterator[tuple[str, bool]]:
    """The job's key references in load_keys' order, and whether its policy is read: only
    for the keys of model artifacts, the ones deploy accounts must decrypt with."""
    output_refs = {s.output_kms_key for s in job.specs if s.output_kms_key}
    volume_refs = {s.volume_kms_key for s in job.specs if s.volume_kms_key}
    output_keys = {key_identity(r) for r in output_refs}
    for reference in sorted(output_refs) + sorted(volume_refs - output_refs):
        yield reference, with_policies and key_identity(reference) in output_keys


def _stands_for(reference: str, asked_by: str, answer: KeyFacts, account: str, region: str) -> bool:
    """Whether KMS would answer `reference` as it answered `asked_by` (same key identity):
    the same string; or a key it found, named by its ARN or, in the caller's own account
    and region, by its bare key id. A failure is never shared: another form may succeed."""
    if reference == asked_by:
        return True
    if answer.arn is None:
        return False
    if reference == answer.arn:
        return True
    own_key = arn_field(answer.arn, 4) == account and arn_field(answer.arn, 3) == region
    return own_key and not reference.startswith("arn:")


def _without_policy(answer: KeyFacts) -> KeyFacts:
    """The answer as describe_key gives it without the policy: a key it found (it has an
    ARN) with neither the policy nor the error reading it gave; a failure as it is."""
    if answer.arn is None:
        return answer
    return replace(answer, policy=None, error=None)


def _chunks(values: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(values), size):
        yield list(values[start : start + size])


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


__all__ = ["GUARDED_PAGE_SIZE", "FleetFacts", "guarded_groups"]
