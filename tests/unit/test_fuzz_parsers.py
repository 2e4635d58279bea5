"""Property: whatever shape a sample event is bent into, the parsers return typed
facts or reject the event with a reason that names the field and never quotes a
planted secret — never a KeyError, TypeError or AttributeError (DESIGN.md, "Never
crash on an event").

Every sample in events/ is mutated: one to three changes at any depth of `detail`
(and the top-level `account`, `region`, `id`, `resources`): a value replaced by a
value of another shape, a key deleted or added, a list item duplicated. The same
mutations drive the real handlers in tests/integration/test_fuzz_events.py.

The adapter below (`REJECTIONS`, `parse_job_event`, `parse_sg_event`,
`check_job_result`, `check_sg_result`) is the only place that names the parsers:
the guards' own event-reading methods, run with an offline stand-in for AWS that
ends the parse at the first call (after checking its parameters against botocore's
model). Re-point it there when the entry points move.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from types import SimpleNamespace
from typing import Any, cast

import botocore.session
import pytest
from botocore import xform_name
from botocore.validate import ParamValidator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator.world import load_sample
from support import SAMPLE_NAMES, SG_SAMPLE_NAMES
from training_guard.events import (
    JOB_GUARD_EVENTS,
    SG_GUARD_EVENTS,
    InvalidEventError,
    api_call,
    parse_event,
)
from training_guard.facts.jobs import JobFacts
from training_guard.facts.sg_events import SecurityGroupChange
from training_guard.job_guard import Ended, Ignored, JobGuard, trigger_of
from training_guard.sg_guard import SgGuard

# --- adapter: the parsing entry points under test --------------------------------------

# What "rejected, with a reason" is raised as. Anything else escaping a parser is a bug.
REJECTIONS: tuple[type[Exception], ...] = (InvalidEventError,)


class WouldCallAws(Exception):  # noqa: N818 - not an error: where reading the event ends
    """The event is read and the guard would now ask AWS; the integration test goes on."""

    def __init__(self, operation: str, problems: str) -> None:
        super().__init__(operation)
        self.operation = operation
        self.problems = problems  # what botocore would refuse in the call's parameters


class OfflineClient:
    """Stands in for a boto3 client: checks a call's parameters against the pinned
    botocore model, then ends the parse with WouldCallAws."""

    def __init__(self, service: str) -> None:
        self._model = botocore.session.get_session().get_service_model(service)
        self._operations = {xform_name(name): name for name in self._model.operation_names}

    def __getattr__(self, method: str) -> Callable[..., Any]:
        operation = self._model.operation_model(self._operations[method])

        def call(**params: Any) -> Any:
            report = ParamValidator().validate(params, operation.input_shape)
            raise WouldCallAws(operation.name, report.generate_report())

        return call


@cache
def offline_guards() -> tuple[JobGuard, SgGuard]:
    """The guards with no AWS behind them: only the methods that read an event are called."""
    clients = cast(
        Any, SimpleNamespace(sagemaker=OfflineClient("sagemaker"), ec2=OfflineClient("ec2"))
    )
    unused = cast(Any, None)
    own_role = "arn:aws:iam::123456789012:role/training-guard-sg-guard"
    return (
        JobGuard(clients, unused, unused, unused),
        SgGuard(clients, unused, unused, unused, own_role),
    )


def parse_job_event(raw: Any) -> JobFacts | Ignored | Ended | WouldCallAws:
    """What job_guard does with an event up to its first AWS call (JobGuard.handle)."""
    event = parse_event(raw, JOB_GUARD_EVENTS)
    try:
        subject = offline_guards()[0]._subject(event)
    except WouldCallAws as call:
        return call
    if isinstance(subject, JobFacts):
        trigger_of(event)
    return subject


@dataclass(frozen=True)
class SgParsed:
    change: SecurityGroupChange | str  # a str is the reason the event is skipped
    principal: str | None


def parse_sg_event(raw: Any) -> SgParsed:
    """What sg_guard does with an event before it calls AWS (SgGuard.handle), and what
    its log line and notification take from the event."""
    guard = offline_guards()[1]
    call = api_call(parse_event(raw, SG_GUARD_EVENTS))
    change = guard._change(call)
    if isinstance(change, SecurityGroupChange):
        guard._is_own(call)
        for rule_change in change.changes:
            rule_change.describe()
    return SgParsed(change, call.caller_role)


def check_job_result(job: JobFacts | Ignored | Ended | WouldCallAws) -> None:
    """Facts the guard then acts on must be usable: a job ARN it can take the account,
    region and name from, ids that are strings, AWS calls AWS would accept."""
    # (Plain booleans in the asserts: pytest would print a huge value in full.)
    if isinstance(job, WouldCallAws):
        assert not job.problems, f"{job.operation} with parameters AWS refuses: {job.problems}"
        return
    if isinstance(job, Ignored):
        resource_ok = job.resource is None or is_usable_arn(job.resource)
        assert resource_ok, f"ignored event's resource is not an ARN: {short(job.resource)}"
        return
    arn_ok = is_usable_arn(job.arn)
    assert arn_ok, f"job ARN is not a usable ARN: {short(job.arn)}"
    if isinstance(job, Ended):
        return
    name_ok = isinstance(job.name, str) and bool(job.name)
    assert name_ok, f"job name is not a non-empty string: {short(job.name)}"
    parent_ok = job.parent_tuning_job_arn is None or is_usable_arn(job.parent_tuning_job_arn)
    assert parent_ok, (
        f"parent tuning job ARN is not a usable ARN: {short(job.parent_tuning_job_arn)}"
    )
    assert job.specs, "a job with no training spec"
    for spec in job.specs:
        ids = (*spec.subnets, *spec.security_groups)
        ids_ok = all(isinstance(i, str) and i for i in ids)
        assert ids_ok, f"subnet or security group ids: {short(ids)}"
        for key in (spec.output_kms_key, spec.volume_kms_key):
            key_ok = key is None or isinstance(key, str)
            assert key_ok, f"KMS key reference is not a string: {short(key)}"
        for group in (g for cluster in spec.clusters for g in cluster):
            type_ok = isinstance(group.instance_type, str)
            assert type_ok, f"instance type is not a string: {short(group.instance_type)}"
            count_ok = isinstance(group.count, int)
            assert count_ok, f"instance count is not an integer: {short(group.count)}"
    tags = job.tags or {}
    tags_ok = all(isinstance(k, str) and isinstance(v, str) for k, v in tags.items())
    assert tags_ok, "tags are not strings"


def check_sg_result(parsed: SgParsed) -> None:
    principal_ok = parsed.principal is None or isinstance(parsed.principal, str)
    assert principal_ok, f"principal is not a string: {short(parsed.principal)}"
    change = parsed.change
    if isinstance(change, str):
        return
    id_ok = change.group_id is None or isinstance(change.group_id, str)
    assert id_ok, f"group id is not a string: {short(change.group_id)}"
    name_ok = change.group_name is None or isinstance(change.group_name, str)
    assert name_ok, f"group name is not a string: {short(change.group_name)}"
    assert change.group_id or change.group_name, "names no group"
    for rule_change in change.changes:
        rule = rule_change.rule
        if rule is not None:
            peers = [p for g in rule.groups for p in (g.group_id, g.owner) if p is not None]
            peers_ok = all(isinstance(p, str) for p in peers)
            assert peers_ok, f"peer groups are not strings: {short(rule.groups)}"
            cidrs_ok = all(isinstance(c, str) for c in (*rule.cidrs, *rule.prefix_lists))
            assert cidrs_ok, f"CIDRs are not strings: {short(rule.cidrs)}"


def is_usable_arn(arn: object) -> bool:
    """arn:partition:service:region:account:type/name, with a name."""
    if not isinstance(arn, str):
        return False
    parts = arn.split(":", 5)
    return len(parts) == 6 and parts[0] == "arn" and bool(parts[5].rsplit("/", 1)[-1])


# --- mutations --------------------------------------------------------------------------

Path = tuple[str | int, ...]

SECRET = "SECRET-9f3a"
# In every sample's environment: never logged, never returned (events/README.md).
SAMPLE_SECRET = "do-not-log-me"
WRONG_ARN = "arn:aws:sagemaker:us-east-1:123:training-job/"
STRINGS = (SECRET, "", WRONG_ARN, "not-an-arn", " ", "0", "-1", "true", "null", "a:b:c")
LISTS: tuple[list[Any], ...] = ([], [None], [1], [{}])
DICTS: tuple[dict[str, Any], ...] = ({}, {"items": None}, {"x": 1})
TOP_LEVEL = ("account", "region", "id", "resources")
# Where the parsers look in a CloudTrail record; the rest (userAgent, tlsDetails...) is
# mutated too, but less often.
CLOUDTRAIL_FOCUS = frozenset(
    {"requestParameters", "responseElements", "userIdentity", "eventName", "eventSource",
     "errorCode", "recipientAccountId", "awsRegion", "eventID"}
)  # fmt: skip
# Keys the parsers read, to add where a sample lacks them (the flat EC2 encoding,
# instance-type flexibility, a tuning child's parent...).
FIELD_NAMES = (
    "trainingJobArn", "hyperParameterTuningJobArn", "TrainingJobArn", "TuningJobArn",
    "HyperParameterTuningJobArn", "TrainingJobStatus", "HyperParameterTuningJobStatus",
    "resourceConfig", "instanceGroups", "instanceType", "instanceCount", "volumeKmsKeyId",
    "vpcConfig", "subnets", "securityGroupIds", "kmsKeyId", "trainingJobDefinitions",
    "hyperParameterTuningResourceConfig", "instanceConfigs", "InstanceConfigs",
    "enableInterContainerTrafficEncryption", "tags", "Tags", "sessionContext", "sessionIssuer",
    "arn", "groupId", "groupName", "ipPermissions", "ipProtocol", "fromPort", "toPort",
    "cidrIp", "sourceSecurityGroupId", "securityGroupRuleIds", "securityGroupRuleSet",
    "items", "groups", "ipRanges", "ipv6Ranges", "SecurityGroupRule", "ReferencedGroupId",
    "CidrIpv4", "errorCode",
)  # fmt: skip
# Where the guard reads (compared without case, and the items of lists under them).
READ_KEYS = frozenset(
    {name.lower() for name in FIELD_NAMES}
    | {"trainingjobname", "hyperparametertuningjobname", "trainingjobdefinition",
       "definitionname", "outputdataconfig", "enablenetworkisolation", "key", "value",
       "cidripv6", "securitygroupruleid", "modifysecuritygrouprulesrequest", "vpcid",
       "ipprotocol", "eventname", "eventsource", "recipientaccountid", "useridentity",
       "requestparameters", "responseelements", *TOP_LEVEL}
)  # fmt: skip
# A secret planted under these is user content: it must never come out, whatever happens.
OPAQUE_KEYS = frozenset({"hyperparameters", "statichyperparameters", "environment"})
# Identifiers are named in summaries by design; a secret planted there proves nothing.
IDENTIFIER_KEYS = frozenset(
    {"trainingjobname", "hyperparametertuningjobname", "definitionname", "groupname"}
)


def path_text(path: Path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:60]}... ({len(text)} chars)"


@dataclass(frozen=True)
class Mutation:
    op: str  # "set" (replace or add), "delete", "duplicate" (a list item)
    path: Path
    value: Any = None

    def __repr__(self) -> str:
        where = path_text(self.path)
        if self.op == "set":
            return f"set {where} = {short(self.value)}"
        return f"{self.op} {where}"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """How hypothesis prints a falsifying example: short, whatever the value."""
        printer.text(repr(self))

    @property
    def plants_secret(self) -> bool:
        """A planted secret that no rejection reason and no log line may quote."""
        keys = [p.lower() for p in self.path if isinstance(p, str)]
        return (
            self.op == "set"
            and self.value == SECRET
            and self.path != ("id",)
            and not (keys and keys[-1] in IDENTIFIER_KEYS)
        )

    @property
    def plants_opaque_secret(self) -> bool:
        """A secret planted inside hyperparameters or the environment: never shown at all."""
        keys = {p.lower() for p in self.path if isinstance(p, str)}
        return self.plants_secret and bool(keys & OPAQUE_KEYS)


def walk(value: Any, path: Path) -> Iterator[tuple[Path, Any]]:
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from walk(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk(item, (*path, index))


def last_key(path: Path) -> str:
    return next((p for p in reversed(path) if isinstance(p, str)), "")


def is_focus(event: dict[str, Any], path: Path) -> bool:
    if event.get("detail-type") != "AWS API Call via CloudTrail":
        return True
    return len(path) < 2 or path[1] in CLOUDTRAIL_FOCUS


values = st.one_of(
    st.none(),
    st.integers(min_value=-(2**63), max_value=2**64),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.sampled_from(STRINGS),
    st.just(10_000).map("x".__mul__),  # a huge string: 5 times the longest ARN
    st.text(max_size=20),
    st.sampled_from(LISTS).map(copy.deepcopy),
    st.sampled_from(DICTS).map(copy.deepcopy),
)


@cache
def mutations(sample: str) -> st.SearchStrategy[tuple[Mutation, ...]]:
    """One to three mutations of a sample; paths depend only on the sample's shape, so the
    same strategy serves the sample as rendered with an emulator's ids."""
    event = load_sample(sample)
    nodes = list(walk(event["detail"], ("detail",)))
    nodes += [((key,), event[key]) for key in TOP_LEVEL if key in event]
    paths = [p for p, _ in nodes]
    focus = [p for p in paths if is_focus(event, p)]
    read = [p for p in paths if last_key(p).lower() in READ_KEYS]
    objects = [p for p, v in nodes if isinstance(v, dict)]
    list_items = [p for p in paths if isinstance(p[-1], int)]
    path = st.one_of(st.sampled_from(read), st.sampled_from(focus), st.sampled_from(paths))
    added = st.builds(lambda p, k: (*p, k), st.sampled_from(objects), st.sampled_from(FIELD_NAMES))
    kinds = [
        st.builds(Mutation, st.just("set"), path, values),
        st.builds(Mutation, st.just("delete"), path),
        st.builds(Mutation, st.just("set"), added, values),
    ]
    if list_items:
        kinds.append(st.builds(Mutation, st.just("duplicate"), st.sampled_from(list_items)))
    one = st.one_of(kinds)
    return st.lists(one, min_size=1, max_size=3).map(tuple)


def mutate(
    event: dict[str, Any], changes: Sequence[Mutation]
) -> tuple[dict[str, Any], list[Mutation]]:
    """The event with the changes applied, and those that applied (an earlier change may
    have removed the path of a later one)."""
    result = copy.deepcopy(event)
    applied: list[Mutation] = []
    for change in changes:
        *parents, last = change.path
        parent: Any = result
        try:
            for part in parents:
                parent = parent[part]
            if change.op == "set" and isinstance(parent, dict | list):
                parent[last] = copy.deepcopy(change.value)  # type: ignore[index]
            elif change.op == "delete" and isinstance(parent, dict | list):
                del parent[last]  # type: ignore[arg-type]
            elif change.op == "duplicate" and isinstance(parent, list):
                parent.insert(int(last), copy.deepcopy(parent[last]))
            else:
                continue
        except (KeyError, IndexError, TypeError):
            continue
        applied.append(change)
    return result, applied


# --- checks shared with the integration test ----------------------------------------------


def check_reason(
    reason: str, applied: Sequence[Mutation], original: dict[str, Any], sample_rejected: bool
) -> None:
    """A rejection names the field it refuses and never quotes a planted secret."""
    if any(m.plants_secret for m in applied):
        quoted = SECRET in reason
        assert not quoted, f"the rejection quotes the planted secret: {short(reason)}"
    if sample_rejected or not applied:
        return  # rejected for what the sample already was
    named = names_a_field(reason, applied, original)
    assert named, f"the rejection names no field: {short(reason)}"


def names_a_field(reason: str, applied: Sequence[Mutation], original: dict[str, Any]) -> bool:
    """The reason holds a path into `detail`, or the name of a field: one on a mutated
    path, one that a mutation took away, or one the guard reads."""
    if "detail." in reason:
        return True
    keys = {k for k in READ_KEYS if k not in TOP_LEVEL}
    for change in applied:
        keys.update(p for p in change.path if isinstance(p, str) and p != "detail")
        if change.path == ("detail",):
            keys.add("detail")
        node = value_at(original, change.path)
        if node is not None and change.path[0] == "detail":
            keys.update(p[-1] for p, _ in walk(node, ()) if p and isinstance(p[-1], str))
    return any(
        re.search(rf"(?<![A-Za-z0-9]){re.escape(key)}(?![A-Za-z0-9])", reason, re.IGNORECASE)
        for key in keys
    )


def value_at(event: Any, path: Path) -> Any:
    for part in path:
        try:
            event = event[part]
        except (KeyError, IndexError, TypeError):
            return None
    return event


# Each sample goes to its own guard first, then to the other one, which must reject it.
GUARDS = ("job_guard", "sg_guard")
PARSERS: dict[str, Callable[[Any], Any]] = {
    "job_guard": parse_job_event,
    "sg_guard": parse_sg_event,
}
RESULT_CHECKS: dict[str, Callable[[Any], None]] = {
    "job_guard": check_job_result,
    "sg_guard": check_sg_result,
}


def guards_for(sample: str) -> tuple[str, str]:
    return ("sg_guard", "job_guard") if sample in SG_SAMPLE_NAMES else GUARDS


@cache
def sample_is_rejected(guard: str, sample: str) -> bool:
    """Whether the guard rejects the sample as it is (then a reason need not name a field)."""
    try:
        PARSERS[guard](load_sample(sample))
    except REJECTIONS:
        return True
    return False


def check_parse(
    guard: str, sample: str, event: dict[str, Any], applied: Sequence[Mutation]
) -> None:
    try:
        result = PARSERS[guard](event)
    except REJECTIONS as e:
        reason = str(e)
    else:
        RESULT_CHECKS[guard](result)
        return
    # Checked outside the handler, so that a failure does not print the whole reason.
    check_reason(reason, applied, load_sample(sample), sample_is_rejected(guard, sample))


# --- tests --------------------------------------------------------------------------------


@pytest.mark.parametrize("sample", SAMPLE_NAMES)
@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(data=st.data())
def test_mutated_sample_is_parsed_or_rejected(sample: str, data: st.DataObject) -> None:
    event, applied = mutate(load_sample(sample), data.draw(mutations(sample), label="mutations"))
    for guard in guards_for(sample):
        check_parse(guard, sample, event, applied)


def setting(path: str, value: Any) -> Mutation:
    parts: list[str | int] = []
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", path):
        parts.append(int(index) if index else name)
    return Mutation("set", tuple(parts), value)


RULE = "detail.requestParameters.ipPermissions.items[0]"
# Shapes known to break the parsers or the handlers behind them, each a case of its own.
KNOWN_SHAPES: list[tuple[str, str, Mutation]] = [
    ("trainingJobArn-int", "cloudtrail-create-training-job-compliant", setting("detail.responseElements.trainingJobArn", 5)),
    ("trainingJobArn-object", "cloudtrail-create-training-job-compliant", setting("detail.responseElements.trainingJobArn", {"x": 1})),
    ("trainingJobArn-not-arn", "cloudtrail-create-training-job-compliant", setting("detail.responseElements.trainingJobArn", "not-an-arn")),
    ("trainingJobArn-wrong-arn", "cloudtrail-create-training-job-compliant", setting("detail.responseElements.trainingJobArn", WRONG_ARN)),
    ("hyperParameterTuningJobArn-int", "cloudtrail-create-hyper-parameter-tuning-job", setting("detail.responseElements.hyperParameterTuningJobArn", 5)),
    ("hyperParameterTuningJobArn-not-arn", "cloudtrail-create-hyper-parameter-tuning-job", setting("detail.responseElements.hyperParameterTuningJobArn", "not-an-arn")),
    ("TrainingJobArn-not-arn", "sagemaker-training-job-state-change-in-progress", setting("detail.TrainingJobArn", "not-an-arn")),
    ("TrainingJobArn-wrong-arn", "sagemaker-training-job-state-change-in-progress", setting("detail.TrainingJobArn", WRONG_ARN)),
    ("TuningJobArn-int", "sagemaker-training-job-state-change-tuning-child", setting("detail.TuningJobArn", 5)),
    ("TuningJobArn-not-arn", "sagemaker-training-job-state-change-tuning-child", setting("detail.TuningJobArn", "not-an-arn")),
    ("TuningJobArn-wrong-arn", "sagemaker-training-job-state-change-tuning-child", setting("detail.TuningJobArn", "arn:aws:sagemaker:us-east-1:123:hyper-parameter-tuning-job/")),
    ("HyperParameterTuningJobArn-not-arn", "sagemaker-hyper-parameter-tuning-job-state-change-in-progress", setting("detail.HyperParameterTuningJobArn", "not-an-arn")),
    ("instanceConfigs-null", "cloudtrail-create-hyper-parameter-tuning-job", setting("detail.requestParameters.trainingJobDefinition.hyperParameterTuningResourceConfig", {"instanceConfigs": [None]})),
    ("InstanceConfigs-null", "sagemaker-hyper-parameter-tuning-job-state-change-in-progress", setting("detail.TrainingJobDefinition.HyperParameterTuningResourceConfig", {"InstanceConfigs": [None]})),
    ("instanceCount-secret", "cloudtrail-create-training-job-compliant", setting("detail.requestParameters.resourceConfig.instanceCount", SECRET)),
    ("sessionContext-null", "cloudtrail-ec2-authorize-ingress-public-nested", setting("detail.userIdentity.sessionContext", None)),
    ("sessionIssuer-string", "cloudtrail-ec2-authorize-ingress-public-nested", setting("detail.userIdentity.sessionContext.sessionIssuer", "x")),
    ("sessionIssuer-list", "cloudtrail-ec2-authorize-ingress-public-nested", setting("detail.userIdentity.sessionContext.sessionIssuer", [])),
    ("groupId-int", "cloudtrail-ec2-authorize-ingress-public-nested", setting("detail.requestParameters.groupId", 5)),
    ("groupId-empty-object", "cloudtrail-ec2-authorize-ingress-public-nested", setting("detail.requestParameters.groupId", {})),
    ("groupId-object", "cloudtrail-ec2-authorize-ingress-public-nested", setting("detail.requestParameters.groupId", {"x": 1})),
    ("peer-groupId-object", "cloudtrail-ec2-revoke-ingress-ipsec-nested", setting(f"{RULE}.groups.items[0].groupId", {"x": 1})),
    ("cidrIp-int-nested", "cloudtrail-ec2-authorize-ingress-public-nested", setting(f"{RULE}.ipRanges.items[0].cidrIp", 5)),
    ("cidrIp-int-flat", "cloudtrail-ec2-authorize-ingress-public-legacy", setting("detail.requestParameters.cidrIp", 5)),
    ("sourceSecurityGroupId-list-flat", "cloudtrail-ec2-authorize-ingress-public-legacy", setting("detail.requestParameters.sourceSecurityGroupId", [None])),
    ("fromPort-secret-flat", "cloudtrail-ec2-authorize-ingress-public-legacy", setting("detail.requestParameters.fromPort", SECRET)),
    ("fromPort-secret-nested", "cloudtrail-ec2-authorize-ingress-public-nested", setting(f"{RULE}.fromPort", SECRET)),
    ("modify-inner-rule-string", "cloudtrail-ec2-modify-rules-public", setting("detail.requestParameters.ModifySecurityGroupRulesRequest.SecurityGroupRule.SecurityGroupRule", "x")),
    ("modify-inner-rule-int", "cloudtrail-ec2-modify-rules-public", setting("detail.requestParameters.ModifySecurityGroupRulesRequest.SecurityGroupRule.SecurityGroupRule", 5)),
    ("modify-ReferencedGroupId-object", "cloudtrail-ec2-modify-rules-public", setting("detail.requestParameters.ModifySecurityGroupRulesRequest.SecurityGroupRule.SecurityGroupRule.ReferencedGroupId", {"x": 1})),
    ("eventName-secret", "cloudtrail-ec2-authorize-ingress-public-nested", setting("detail.eventName", SECRET)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("sample", "change"), [pytest.param(s, m, id=i) for i, s, m in KNOWN_SHAPES]
)
def test_known_breaking_shape(sample: str, change: Mutation) -> None:
    event, applied = mutate(load_sample(sample), [change])
    assert applied == [change], f"{change!r} does not apply to {sample}"
    for guard in guards_for(sample):
        check_parse(guard, sample, event, applied)
