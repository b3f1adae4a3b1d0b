"""The breaking-change gate (`make check`) and the released contracts (`make release-schema`).

`released/<version>/` holds what was released of each protocol version, written by
`--release` and never edited: `protocol.schema.json` (the bundle) and
`spine-ws-client.tgz` (the TypeScript client, packed). The gate compares `schema/` with
them (`spine_ws.codegen.diff` says what changed and the bump each change needs) and holds
`protocol_version` to semantic versioning:

- a breaking change needs a new major version, against every release of the current major;
- any other change to what is valid needs at least a new minor version, a change of
  annotations only (descriptions) a new patch, against the latest release;
- the version never goes below the latest release, and a released version's tree is the
  released one.

The gate is literal. Where the protocol knows better than a schema can say, a breaking
change is accepted by name in `released/accepted.json`: each entry is a change's pointer
and its exact text (as the gate prints it) with the reason; that change then counts as
minor, and any other change, at that pointer too, is judged as ever.

`python -m spine_ws.codegen.compat [--root DIR] [--release]`
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spine_ws.codegen.contract import load_contract
from spine_ws.codegen.diff import Change
from spine_ws.codegen.diff import compare as diff_compare

__all__ = ["RELEASED", "Verdict", "accepted", "judge", "main", "release", "released"]

RELEASED = "released"
BUNDLE = "protocol.schema.json"
ACCEPTED = "accepted.json"
CLIENT = "spine-ws-client.tgz"
_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")

Version = tuple[int, int, int]


def _parse(text: str) -> Version:
    match = _VERSION.match(text)
    if match is None:
        raise ValueError(f"protocol_version {text!r} is not MAJOR.MINOR.PATCH")
    major, minor, patch = (int(g) for g in match.groups())
    return major, minor, patch


def _text(version: Version) -> str:
    return ".".join(map(str, version))


def _json(doc: Any) -> bytes:
    # As generate.py writes the bundle: a release of an unchanged tree is byte-identical.
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode()


def released(root: Path) -> dict[Version, dict[str, Any]]:
    """Every released bundle under `root/released/`, by version, oldest first."""
    out: dict[Version, dict[str, Any]] = {}
    folder = root / RELEASED
    for path in sorted(folder.glob(f"*/{BUNDLE}")) if folder.is_dir() else []:
        out[_parse(path.parent.name)] = json.loads(path.read_text(encoding="utf-8"))
    return dict(sorted(out.items()))


def accepted(root: Path) -> dict[tuple[str, str], str]:
    """The breaking changes accepted by name (`released/accepted.json`): their reasons."""
    path = root / RELEASED / ACCEPTED
    entries = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []
    return {(e["pointer"], e["what"]): e["reason"] for e in entries}


@dataclass(frozen=True)
class Verdict:
    """What the gate found: `errors` fail it; `changes` are since the latest release."""

    version: Version
    latest: Version | None
    changes: list[Change]
    errors: list[str]


def judge(
    bundle: dict[str, Any],
    version: Version,
    releases: dict[Version, Any],
    accepts: dict[tuple[str, str], str] | None = None,
) -> Verdict:
    """Hold `bundle` (the tree's, at `version`) to the rule against the released ones;
    `accepts` names breaking changes accepted as minor, with their reasons."""
    if not releases:
        return Verdict(version, None, [], [])

    def compare(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
        return [_accepted(c, accepts or {}) for c in diff_compare(old, new)]

    latest = max(releases)
    changes = compare(releases[latest], bundle)
    errors: list[str] = []
    now = _text(version)
    if version < latest:
        errors.append(f"protocol_version {now} is older than the released {_text(latest)}")
    for old in sorted(v for v in releases if v[0] == version[0]):
        since = changes if old == latest else compare(releases[old], bundle)
        broken = [c for c in since if c.level == "major"]
        if broken:
            errors.append(
                f"schema/ breaks clients of protocol {_text(old)}, and protocol_version "
                f"{now} keeps major {version[0]}: bump it to {version[0] + 1}.0.0, or make "
                "the change compatible (docs/evolution.md, Changing a message)\n"
                + "\n".join(f"  {c.pointer}: {c.what}" for c in broken)
            )
    levels = {c.level for c in changes}
    need: Version | None = None
    if "minor" in levels and version[:2] <= latest[:2]:
        need = (latest[0], latest[1] + 1, 0)
    elif "patch" in levels and version <= latest:
        need = (latest[0], latest[1], latest[2] + 1)
    if need is not None and version >= latest and version[0] == latest[0]:
        errors.append(
            f"schema/ changed since the released {_text(latest)} and protocol_version is "
            f"{now}: bump it to at least {_text(need)} (schema/defs/protocol_version.json)\n"
            + "\n".join(f"  {c.pointer}: {c.what} ({c.level})" for c in changes)
        )
    return Verdict(version, latest, changes, errors)


def _accepted(change: Change, accepts: dict[tuple[str, str], str]) -> Change:
    reason = accepts.get((change.pointer, change.what))
    if reason is None or change.level != "major":
        return change
    return Change(change.pointer, "minor", f"{change.what} [accepted: {reason}]")


def _verdict(root: Path) -> tuple[Verdict, dict[str, Any]]:
    contract = load_contract(root / "schema")
    bundle = contract.bundle()
    return (
        judge(bundle, _parse(contract.protocol_version), released(root), accepted(root)),
        bundle,
    )


def check(root: Path) -> int:
    """The gate: 0 if `schema/` may ship at its protocol_version, else 1 saying why."""
    verdict, _ = _verdict(root)
    now = _text(verdict.version)
    if verdict.errors:
        for error in verdict.errors:
            print(f"compat: {error}", file=sys.stderr)
        return 1
    if verdict.latest is None:
        print(f"compat: nothing released yet (protocol {now}): `make release-schema` starts")
        return 0
    print(
        f"compat: protocol {now} keeps the contract of the released {_text(verdict.latest)} "
        f"({len(verdict.changes)} changes)"
    )
    for change in verdict.changes:
        print(f"  {change.pointer}: {change.what} ({change.level})")
    return 0


def release(root: Path, *, client: bool = True) -> int:
    """Write `released/<version>/` for the tree's protocol_version, once, gate passing
    (`client=False`: the bundle alone, for tests that plant changes in a copy)."""
    verdict, bundle = _verdict(root)
    if verdict.errors:
        check(root)
        return 1
    now = _text(verdict.version)
    folder = root / RELEASED / now
    if (folder / BUNDLE).is_file():
        if (folder / BUNDLE).read_bytes() == _json(bundle):
            print(f"compat: protocol {now} is released already ({folder.relative_to(root)})")
            return 0
        print(f"compat: released/{now} differs from schema/: bump it", file=sys.stderr)
        return 1
    folder.mkdir(parents=True)
    (folder / BUNDLE).write_bytes(_json(bundle))
    if client:
        _pack_client(root / "clients/ts", folder / CLIENT)
    print(f"compat: released protocol {now} into {folder.relative_to(root)}/")
    return 0


def _pack_client(project: Path, target: Path) -> None:
    """`npm pack` of the TypeScript client as built now (`make release-schema` builds it)."""
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("compat: packing the TypeScript client needs npm on PATH")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [npm, "pack", "--silent", "--pack-destination", tmp],
            cwd=project,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        (packed,) = Path(tmp).glob("*.tgz")
        shutil.move(packed, target)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m spine_ws.codegen.compat", description=__doc__)
    parser.add_argument("--root", type=Path, default=Path.cwd())
    parser.add_argument("--release", action="store_true", help="write released/<protocol_version>/")
    args = parser.parse_args(argv)
    root: Path = args.root.resolve()
    return release(root) if args.release else check(root)


if __name__ == "__main__":
    sys.exit(main())
