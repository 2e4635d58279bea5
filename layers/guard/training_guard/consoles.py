"""Links to the AWS console page of a job or security group, in the region's partition.

Each partition has its own console host; the isolated partitions (aws-iso*) and any
partition not listed here have no public console, so they get no link rather than one
that leads nowhere.
"""

from __future__ import annotations

from urllib.parse import quote

from training_guard.facts.identifiers import partition_of

# The kind labels notifications use (JobKind.label, and the security-group guard's).
TRAINING_JOB = "training job"
TUNING_JOB = "hyperparameter tuning job"
SECURITY_GROUP = "security group"

_HOSTS = {
    "aws": "https://{region}.console.aws.amazon.com",
    "aws-cn": "https://console.amazonaws.cn",
    "aws-us-gov": "https://console.amazonaws-us-gov.com",
}
_PAGES = {
    TRAINING_JOB: "sagemaker/home?region={region}#/jobs/{name}",
    TUNING_JOB: "sagemaker/home?region={region}#/hyper-tuning-jobs/{name}",
    SECURITY_GROUP: "ec2/home?region={region}#SecurityGroup:groupId={name}",
}


def console_url(kind: str, name: str, region: str) -> str | None:
    """The console page of the resource, or None where no public console shows it."""
    host = _HOSTS.get(partition_of(region))
    page = _PAGES.get(kind)
    if host is None or page is None or not name or not region:
        return None
    # Quoted whole: a name is data in the URL, never a path, query or fragment of its own.
    named = page.format(region=quote(region, safe=""), name=quote(name, safe=""))
    return f"{host.format(region=quote(region, safe=''))}/{named}"
