"""`make bench`: the size of each built function and of the layer (issue 8, item 4 (d)).

The functions and the layer are read from template.yaml. With a complete `make build`
(.aws-sam/build holding every one of them), its folders are measured: what `sam build`
packs for the template's runtime and architecture. Otherwise each is built here the way
sam does, without sam or Docker: the layer's requirements installed with
`pip install --target` beside its source, a function's folder with its own requirements.
That build is for this machine's platform and Python, so compiled wheels may differ in
size from the Lambda runtime's. Neither build holds bytecode (.pyc): sam ships none.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import io
import json
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"
SAM_BUILD = ROOT / ".aws-sam" / "build"
RESULTS = ROOT / ".bench" / "sizes.json"
MIB = 1024 * 1024
# Lambda quota: a function's deployment package and its layers, extracted.
UNZIPPED_QUOTA_MB = 250
LAYER = "AWS::Serverless::LayerVersion"
FUNCTION = "AWS::Serverless::Function"


@dataclass(frozen=True)
class Artifact:
    """A function or layer of the template: logical id, resource type, source folder."""

    name: str
    kind: str
    source: str


@dataclass(frozen=True)
class Size:
    name: str
    kind: str
    files: int
    unzipped: int
    zipped: int
    largest: list[tuple[str, int]]  # top-level entries (packages), largest first


def artifacts(template: str) -> list[Artifact]:
    """The template's functions and layers with their CodeUri / ContentUri. A line scan:
    the template's short-form intrinsics (!Ref, !If) need no YAML loader here."""
    found: list[Artifact] = []
    name = kind = ""
    for line in template.splitlines():
        if resource := re.fullmatch(r"  (\w+):", line):
            name, kind = resource.group(1), ""
        elif declared := re.fullmatch(r"    Type: (\S+)", line):
            kind = declared.group(1)
        elif (uri := re.fullmatch(r"      (?:CodeUri|ContentUri): (\S+)", line)) and kind in (
            LAYER,
            FUNCTION,
        ):
            found.append(Artifact(name, kind, uri.group(1).rstrip("/")))
    return found


def measure(name: str, kind: str, folder: Path) -> Size:
    files = [p for p in folder.rglob("*") if p.is_file()]
    by_top: dict[str, int] = {}
    for path in files:
        top = path.relative_to(_package_root(folder) if kind == LAYER else folder).parts[0]
        by_top[top] = by_top.get(top, 0) + path.stat().st_size
    largest = sorted(by_top.items(), key=lambda item: -item[1])[:8]
    return Size(name, kind, len(files), sum(by_top.values()), _zipped(folder, files), largest)


def _package_root(layer: Path) -> Path:
    # A Python layer's packages sit under python/ (extracted to /opt/python).
    return layer / "python" if (layer / "python").is_dir() else layer


def _zipped(folder: Path, files: list[Path]) -> int:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            archive.write(path, path.relative_to(folder))
    return buffer.tell()


# --- building without sam ----------------------------------------------------------------


def build_locally(items: list[Artifact], into: Path) -> dict[str, Path]:
    return {item.name: _build(item, into / item.name) for item in items}


def _build(item: Artifact, target: Path) -> Path:
    source = ROOT / item.source
    # sam puts a Python layer's content under python/, a function's at the root.
    root = target / "python" if item.kind == LAYER else target
    shutil.copytree(source, root, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    requirements = source / "requirements.txt"
    if requirements.exists() and _requires_something(requirements):
        pip = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        subprocess.run(
            [*pip, "--no-compile", "--target", str(root), "-r", str(requirements)], check=True
        )
    return target


def _requires_something(requirements: Path) -> bool:
    lines = (line.split("#")[0].strip() for line in requirements.read_text().splitlines())
    return any(lines)


# --- the run -------------------------------------------------------------------------------


def built_by_sam(items: list[Artifact]) -> bool:
    return all((SAM_BUILD / item.name).is_dir() for item in items)


def older_than_sources(items: list[Artifact]) -> bool:
    built = (SAM_BUILD / "template.yaml").stat().st_mtime
    sources = (p for item in items for p in (ROOT / item.source).rglob("*") if p.is_file())
    return any(p.stat().st_mtime > built for p in sources if "__pycache__" not in p.parts)


def report(sizes: list[Size], origin: str) -> None:
    layer = sum(s.unzipped for s in sizes if s.kind == LAYER)
    print(f"Sizes: {origin}\n")
    print(f"{'artifact':24} {'files':>6} {'unzipped':>10} {'zipped':>10} {'with layer':>10}")
    for size in sizes:
        with_layer = size.unzipped + (layer if size.kind == FUNCTION else 0)
        print(
            f"{size.name:24} {size.files:>6} {readable(size.unzipped):>10} "
            f"{readable(size.zipped):>10} {readable(with_layer):>10}"
        )
    print(f"(with layer: function and layer extracted; Lambda allows {UNZIPPED_QUOTA_MB} MB)")
    for size in sizes:
        parts = ", ".join(
            f"{name} {readable(n)}"
            for name, n in size.largest
            if n >= MIB / 10 or name == "training_guard"
        )
        if parts:
            print(f"Largest in {size.name}: {parts}")


def readable(size: int) -> str:
    return f"{size / MIB:.1f} MiB" if size >= MIB / 10 else f"{size / 1024:.1f} KiB"


def main() -> None:
    items = artifacts(TEMPLATE.read_text())
    with tempfile.TemporaryDirectory() as scratch:
        if built_by_sam(items):
            folders = {item.name: SAM_BUILD / item.name for item in items}
            origin = "sam build (.aws-sam/build): the template's runtime and architecture"
            if older_than_sources(items):
                origin += "; OLDER than the sources, run make build for current figures"
        else:
            missing = [i.name for i in items if not (SAM_BUILD / i.name).is_dir()]
            print(f"no complete sam build (missing {', '.join(missing)}): building here")
            folders = build_locally(items, Path(scratch))
            origin = (
                f"built here with pip install --target, for this machine "
                f"({platform.system().lower()} {platform.machine()}, "
                f"CPython {platform.python_version()}), not Lambda's runtime"
            )
        sizes = [measure(item.name, item.kind, folders[item.name]) for item in items]
    report(sizes, origin)
    RESULTS.parent.mkdir(exist_ok=True)
    document = {"benchmark": "sizes", "origin": origin, "artifacts": [asdict(s) for s in sizes]}
    RESULTS.write_text(json.dumps(document, indent=2) + "\n")
    print(f"\nwritten: {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
