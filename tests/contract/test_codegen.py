"""`make gen` is deterministic and `make check-gen` catches drift (proved on a copy of the tree)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

import pytest

from spine_ws.codegen.contract import load_contract
from spine_ws.codegen.generate import Layout, render

ROOT = Path(__file__).resolve().parents[2]

# Every test here runs the generator, which runs ruff and datamodel-code-generator.
pytestmark = pytest.mark.tooling
COPIED = ["schema", "generated", "clients/ts/src/gen"]
LINKED = ["clients/ts/node_modules", "clients/ts/package.json"]


class Result(NamedTuple):
    returncode: int
    stdout: str
    stderr: str


def copy_tree(dst: Path) -> Path:
    """The parts of the repository that `spine_ws.codegen --check --root` reads, under dst."""
    for part in COPIED:
        shutil.copytree(ROOT / part, dst / part, ignore=shutil.ignore_patterns("__pycache__"))
    for part in LINKED:
        os.symlink(ROOT / part, dst / part)
    return dst


def add_property(root: Path) -> None:
    path = root / "schema/commands/start.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["properties"]["warmup"] = {"type": "integer", "description": "Ticks to skip first."}
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


def add_stale_files(root: Path) -> None:
    (root / "generated/spine_ws/generated/old.py").write_text("# left over\n", encoding="utf-8")
    (root / "clients/ts/src/gen/old_message.ts").write_text("// left over\n", encoding="utf-8")


EDITS: dict[str, Callable[[Path], None]] = {
    "unmodified": lambda root: None,
    "property_added": add_property,
    "stale_files": add_stale_files,
}


@pytest.fixture(scope="module")
def check_gen(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Result]:
    """`python -m spine_ws.codegen --check --root <copy>` on each edited copy: exit status
    and output.

    Each run regenerates everything (about 2 s of datamodel-code-generator), so the runs go
    in parallel. Their output goes to files, which never fill up as an unread pipe does.
    """
    running: dict[str, tuple[subprocess.Popen[bytes], Path]] = {}
    try:
        for name, edit in EDITS.items():
            root = copy_tree(tmp_path_factory.mktemp(name))
            edit(root)
            with (root / "out").open("wb") as out, (root / "err").open("wb") as err:
                running[name] = (
                    subprocess.Popen(
                        [sys.executable, "-m", "spine_ws.codegen", "--check", "--root", str(root)],
                        cwd=ROOT,  # `spine_ws` is imported from the real tree; the copy is --root
                        stdin=subprocess.DEVNULL,
                        stdout=out,
                        stderr=err,
                    ),
                    root,
                )
        results = {}
        for name, (proc, root) in running.items():
            returncode = proc.wait(timeout=120)
            output = {f: (root / f).read_text() for f in ("out", "err")}
            results[name] = Result(returncode, output["out"], output["err"])
        return results
    finally:
        for proc, _ in running.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()


@pytest.fixture(scope="module")
def rendered_twice() -> tuple[dict[Path, bytes], dict[Path, bytes]]:
    """Two independent renders of the real schema/, on two threads (the work is subprocesses)."""
    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(
            lambda _: render(load_contract(), Layout.repository(ROOT)), range(2)
        )
    return first, second


def test_generation_is_deterministic(
    rendered_twice: tuple[dict[Path, bytes], dict[Path, bytes]],
) -> None:
    """Rendering twice yields the same files with the same bytes (no timestamps, no order)."""
    first, second = rendered_twice
    assert sorted(first) == sorted(second)
    differing = sorted(path for path in first if first[path] != second[path])
    assert not differing, f"differ between two runs: {differing}"


def test_generated_sources_carry_the_header(
    rendered_twice: tuple[dict[Path, bytes], dict[Path, bytes]],
) -> None:
    """Every generated .py/.ts file opens with the GENERATED … `make gen` … do not edit line."""
    first, _ = rendered_twice
    sources = [p for p in first if p.suffix in (".py", ".ts")]
    assert sources
    for path in sources:
        head = first[path].decode().splitlines()[0]
        assert "GENERATED from schema/" in head, f"{path}: {head!r}"
        assert "make gen" in head, f"{path}: {head!r}"
        assert "do not edit" in head, f"{path}: {head!r}"


def test_check_gen_passes_on_an_unmodified_tree(check_gen: dict[str, Result]) -> None:
    """A faithful copy of the tree is current: exit 0 and nothing on stderr."""
    result = check_gen["unmodified"]
    assert (result.returncode, result.stderr) == (0, ""), result.stderr


def test_check_gen_reports_a_schema_change(check_gen: dict[str, Result]) -> None:
    """A property added to a schema fails the check, naming each output it changes and the fix."""
    result = check_gen["property_added"]

    assert result.returncode == 1, result.stdout + result.stderr
    reported = {
        line.removeprefix("out of date: ")
        for line in result.stderr.splitlines()
        if line.startswith("out of date: ")
    }
    # Every output that carries message fields or the schema hash must be reported.
    expected = {
        "generated/spine_ws/generated/models.py",
        "generated/spine_ws/generated/catalog.py",
        "generated/spine_ws/generated/protocol.schema.json",
        "generated/spine_ws/generated/asyncapi.json",
        "clients/ts/src/gen/protocol.ts",
        "clients/ts/src/gen/contract.ts",
    }
    assert expected <= reported, f"not reported: {sorted(expected - reported)}\n{result.stderr}"
    assert "make gen" in result.stderr


def test_check_gen_reports_a_stale_file(check_gen: dict[str, Result]) -> None:
    """A file in an output folder that no schema produces fails the check and is named."""
    result = check_gen["stale_files"]

    assert result.returncode == 1, result.stdout + result.stderr
    assert "stale (no schema generates it): generated/spine_ws/generated/old.py" in result.stderr
    assert "stale (no schema generates it): clients/ts/src/gen/old_message.ts" in result.stderr
    assert "out of date" not in result.stderr
    assert "make gen" in result.stderr


def test_the_asyncapi_document_describes_the_query_of_ws(
    rendered_twice: tuple[dict[Path, bytes], dict[Path, bytes]],
) -> None:
    """`resume` (and `token`) are in the channel's WebSocket binding, with the pattern
    the hub accepts; `resumed` is one of the channel's messages."""
    first, _ = rendered_twice
    document = json.loads(first[ROOT / "generated/spine_ws/generated/asyncapi.json"])
    channel = document["channels"]["ws"]
    query = channel["bindings"]["ws"]["query"]["properties"]
    assert set(query) == {"resume", "token"}
    pattern = re.compile(query["resume"]["pattern"])
    assert pattern.fullmatch("3f2a9c:120") and not pattern.fullmatch("3f2a9c:-1")
    assert "resumed" in channel["messages"]
