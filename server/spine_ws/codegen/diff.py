"""Two bundled contracts compared by who reads each message: every difference, with the
version bump it needs.

Commands are read by the server: a change breaks if a command valid for the old schema
is refused by the new one. Events and command results are read by clients: a change
breaks if a client of the old schema could receive one it refuses. Clients are tolerant
readers (clients/ts `SpineClient`): they ignore members and event types they do not know,
so the reader an old contract stands for is its schemas without
`additionalProperties: false`, which stays in the schemas as the server's promise of what
it sends now.

jsoncompat judges each message (and each sub-schema, to name the JSON pointer of a break)
by role: deserializer for commands, serializer for events. Decided here, because it does
not: `pattern` (jsoncompat 0.3 ignores it; interegular decides regular-language
inclusion), the sets of messages (a removed one breaks, a new one is compatible), type
names (a removed or renamed title breaks code that names the generated class), and which
changes only touch annotations (a patch).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import interegular
import jsoncompat
from interegular.patterns import InvalidSyntax, Unsupported

from spine_ws.codegen.contract import ENVELOPE_KEY

__all__ = ["Change", "Level", "compare"]

Level = Literal["major", "minor", "patch"]
Reader = Literal["server", "client"]

# Keywords that say nothing about which messages are valid.
_ANNOTATIONS = frozenset({"description", "title", "$comment", "examples", "deprecated"})
# Keywords whose value is a schema, or a list or map of schemas.
_SCHEMA = frozenset({"items", "additionalProperties", "not", "if", "then", "else"})
_SCHEMAS = frozenset({"oneOf", "anyOf", "allOf", "prefixItems"})
_SCHEMA_MAPS = frozenset({"properties", "patternProperties"})
# The bundle's unions are judged message by message, as the sets of types.
_UNIONS = frozenset({"Command", "ServerEvent"})
# Every release changes its const; readers check the version themselves (the major).
_VERSION = "ProtocolVersion"
_ANY_VERSION = {"type": "string", "pattern": "^[0-9]+\\.[0-9]+\\.[0-9]+$"}


@dataclass(frozen=True)
class Change:
    """One difference: where (a JSON pointer into the bundle), what, the bump it needs."""

    pointer: str
    level: Level
    what: str


def compare(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Every difference from `old` to `new` (bundles, as `Contract.bundle()` makes them)."""
    return _Comparison(old, new).changes()


def _messages(bundle: dict[str, Any], union: str) -> dict[str, str]:
    """Wire type -> title, from a union's discriminator mapping."""
    mapping = bundle["$defs"][union]["discriminator"]["mapping"]
    return {wire: ref.rsplit("/", 1)[1] for wire, ref in mapping.items()}


def _results(bundle: dict[str, Any]) -> list[str]:
    # A result schema's title ends in Result (STYLE: the title names its role); the
    # bundle does not otherwise mark it.
    return sorted(t for t in bundle["$defs"] if t.endswith("Result"))


def _pointer(*parts: str) -> str:
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


def _stripped(node: Any) -> Any:
    """`node` without annotations: what decides validity."""
    if isinstance(node, dict):
        return {k: _stripped(v) for k, v in node.items() if k not in _ANNOTATIONS}
    if isinstance(node, list):
        return [_stripped(v) for v in node]
    return node


def _tolerant(node: Any) -> Any:
    """`node` as a tolerant reader applies it: unknown members allowed everywhere."""
    if isinstance(node, dict):
        return {
            k: _tolerant(v)
            for k, v in node.items()
            if not (k == "additionalProperties" and v is False)
        }
    if isinstance(node, list):
        return [_tolerant(v) for v in node]
    return node


def _children(old: Any, new: Any) -> Iterator[tuple[tuple[str, ...], Any, Any]]:
    """The sub-schemas present in both nodes, by their path below them."""
    if not isinstance(old, dict) or not isinstance(new, dict):
        return
    for key in sorted(old.keys() & new.keys()):
        o, n = old[key], new[key]
        if key in _SCHEMA and isinstance(o, dict) and isinstance(n, dict):
            yield (key,), o, n
        elif key in _SCHEMAS and isinstance(o, list) and isinstance(n, list):
            for i, (oi, ni) in enumerate(zip(o, n, strict=False)):
                yield (key, str(i)), oi, ni
        elif key in _SCHEMA_MAPS and isinstance(o, dict) and isinstance(n, dict):
            for name in sorted(o.keys() & n.keys()):
                yield (key, name), o[name], n[name]


def _ref(node: Any) -> str | None:
    ref = node.get("$ref") if isinstance(node, dict) else None
    return ref.rsplit("/", 1)[1] if isinstance(ref, str) else None


def _refs_in(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value.rsplit("/", 1)[1]
            else:
                yield from _refs_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs_in(value)


def _used(node: Any, defs: dict[str, Any]) -> dict[str, Any]:
    """The definitions `node` refers to, transitively: all a judge needs to read."""
    used: dict[str, Any] = {}
    todo = list(_refs_in(node))
    while todo:
        title = todo.pop()
        if title not in used and title in defs:
            used[title] = defs[title]
            todo += _refs_in(defs[title])
    return used


def _broken(what: str, broken: set[str]) -> str:
    """`what`, and who it breaks: old clients' commands refused, events old clients refuse."""
    commands = sorted(b.split(" ", 1)[1] for b in broken if b.startswith("command "))
    read = sorted(b for b in broken if not b.startswith("command "))
    said = []
    if commands:
        said.append(f"an old client's {', '.join(commands)} may now be refused")
    if read:
        said.append(f"an old client may refuse {', '.join(read)}")
    return ": ".join([what, "; ".join(said)]) if said else what


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def _described(old: Any, new: Any) -> str:
    """What differs at this node itself, in a few words."""
    if not isinstance(old, dict) or not isinstance(new, dict):
        return f"{_short(old)} -> {_short(new)}"
    said = []
    for key in sorted((old.keys() | new.keys()) - _ANNOTATIONS):
        o, n = old.get(key), new.get(key)
        if _stripped(o) == _stripped(n):
            continue
        if key in _SCHEMA_MAPS and isinstance(o, dict) and isinstance(n, dict):
            said += [f"member {m!r} removed" for m in sorted(o.keys() - n.keys())]
            said += [f"member {m!r} added" for m in sorted(n.keys() - o.keys())]
        elif key in ("required", "enum") and isinstance(o, list) and isinstance(n, list):
            said += [f"{key} gains {_short(v)}" for v in n if v not in o]
            said += [f"{key} loses {_short(v)}" for v in o if v not in n]
        elif o is None:
            said.append(f"{key} {_short(n)} added")
        elif n is None:
            said.append(f"{key} {_short(o)} removed")
        elif key not in _SCHEMA_MAPS | _SCHEMAS | _SCHEMA:
            said.append(f"{key} {_short(o)} -> {_short(n)}")
    return "; ".join(said) or "a sub-schema changed"


class _Comparison:
    def __init__(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        self.old_defs = {**old["$defs"], _VERSION: _ANY_VERSION}
        self.new_defs = {**new["$defs"], _VERSION: _ANY_VERSION}
        self.tolerant_defs = _tolerant(self.old_defs)
        self.old, self.new = old, new
        self.found: dict[str, tuple[Level, str, set[str]]] = {}
        self.dirty: dict[str, bool] = {}

    def add(self, pointer: str, level: Level, what: str, breaks: str = "") -> None:
        """Record a change; the same one found again adds the message it breaks."""
        broken = self.found.setdefault(pointer, (level, what, set()))[2]
        if breaks:
            broken.add(breaks)

    def changes(self) -> list[Change]:
        self._message_sets("Command", "command", "server")
        self._message_sets("ServerEvent", "event", "client")
        for title in _results(self.new):
            if title in self.old_defs:
                self._judge_message(title, title, f"result {title}", "client")
        self._types()
        self._envelope()
        out = []
        for pointer, (level, what, broken) in sorted(self.found.items()):
            out.append(Change(pointer, level, _broken(what, broken)))
        return out

    def _message_sets(self, union: str, kind: str, reader: Reader) -> None:
        old, new = _messages(self.old, union), _messages(self.new, union)
        for wire in sorted(old.keys() - new.keys()):
            breaks = (
                "an old client's command is now refused (unknown_command)"
                if reader == "server"
                else "clients that wait for it never get it"
            )
            self.add(_pointer("$defs", old[wire]), "major", f"{kind} {wire} removed: {breaks}")
        for wire in sorted(new.keys() - old.keys()):
            ignored = "" if reader == "server" else ": old clients ignore it (tolerant reader)"
            self.add(_pointer("$defs", new[wire]), "minor", f"new {kind} {wire}{ignored}")
        for wire in sorted(old.keys() & new.keys()):
            if old[wire] != new[wire]:
                self.add(
                    _pointer("$defs", old[wire]),
                    "major",
                    f"{kind} {wire}'s type renamed {old[wire]} -> {new[wire]}: code that "
                    "names the generated class no longer compiles",
                )
            self._judge_message(old[wire], new[wire], f"{kind} {wire}", reader)

    def _types(self) -> None:
        """Type names, and the changes no reader notices (annotations) or every reader takes."""
        messages = set(_messages(self.old, "Command").values()) | set(
            _messages(self.old, "ServerEvent").values()
        )
        old, new = self.old["$defs"], self.new["$defs"]
        for title in sorted(old.keys() - new.keys() - messages):
            self.add(
                _pointer("$defs", title),
                "major",
                f"type {title} removed or renamed: code that names it no longer compiles",
            )
        new_messages = set(_messages(self.new, "Command").values()) | set(
            _messages(self.new, "ServerEvent").values()
        )
        for title in sorted(new.keys() - old.keys() - new_messages):
            self.add(_pointer("$defs", title), "minor", f"new type {title}")
        for title in sorted((old.keys() & new.keys()) - _UNIONS - {_VERSION}):
            pointer = _pointer("$defs", title)
            if any(p == pointer or p.startswith(pointer + "/") for p in self.found):
                continue
            if _stripped(old[title]) != _stripped(new[title]):
                self.add(pointer, "minor", f"{title} changed compatibly for its readers")
            elif old[title] != new[title]:
                self.add(pointer, "patch", f"{title}: descriptions changed")

    def _envelope(self) -> None:
        """The envelope a tree declares is the shape of every message: any change of it
        (a member moved, a name mapped otherwise) breaks every client of it."""
        old, new = self.old.get(ENVELOPE_KEY), self.new.get(ENVELOPE_KEY)
        if old != new:
            said = "declared" if old is None else "dropped" if new is None else "changed"
            self.add(
                _pointer(ENVELOPE_KEY),
                "major",
                f"envelope {said}: every message is shaped by it, so every client changes",
            )

    # Judging: jsoncompat, then patterns by hand.

    def _judge_message(self, old_title: str, new_title: str, label: str, reader: Reader) -> None:
        old_node, new_node = self.old_defs[old_title], self.new_defs[new_title]
        pointer = _pointer("$defs", new_title)
        if not self._compatible(old_node, new_node, reader):
            seen: set[str] = set()
            for where, said in self._locate(pointer, old_node, new_node, reader, seen):
                self.add(where, "major", said, label)
        seen = set()
        for where, said in self._patterns(pointer, old_node, new_node, reader, seen):
            self.add(where, "major", said, label)

    def _compatible(self, old: Any, new: Any, reader: Reader) -> bool:
        old_defs = self.tolerant_defs if reader == "client" else self.old_defs
        if reader == "client":
            old = _tolerant(old)
        old_root = {**old, "$defs": _used(old, old_defs)}
        new_root = {**new, "$defs": _used(new, self.new_defs)}
        # The server (new) reads what old clients wrote; old clients read what it writes.
        role: Literal["deserializer", "serializer"] = (
            "deserializer" if reader == "server" else "serializer"
        )
        try:
            return jsoncompat.check_compat(json.dumps(old_root), json.dumps(new_root), role)
        except ValueError:
            return False  # a schema it cannot judge counts as breaking: _locate says where

    def _locate(
        self, pointer: str, old: Any, new: Any, reader: Reader, seen: set[str]
    ) -> list[tuple[str, str]]:
        """The deepest sub-schemas under an incompatible pair that are incompatible."""
        found: list[tuple[str, str]] = []
        for path, o, n in _children(old, new):
            if self._touched(o, n) and not self._compatible(o, n, reader):
                found += self._locate(pointer + _pointer(*path), o, n, reader, seen)
        old_ref, new_ref = _ref(old), _ref(new)
        if old_ref is not None and old_ref == new_ref and old_ref not in seen:
            seen.add(old_ref)
            o, n = self.old_defs.get(old_ref), self.new_defs.get(new_ref)
            if o is not None and n is not None and not self._compatible(o, n, reader):
                found += self._locate(_pointer("$defs", old_ref), o, n, reader, seen)
        return found or [(pointer, _described(old, new))]

    def _touched(self, old: Any, new: Any) -> bool:
        """Whether a pair differs, or refers to a definition that does."""
        return _stripped(old) != _stripped(new) or any(self._dirty(t) for t in _refs_in(new))

    def _dirty(self, title: str) -> bool:
        if title not in self.dirty:
            self.dirty[title] = True  # a cycle: assume it differs; settled below
            o, n = self.old_defs.get(title), self.new_defs.get(title)
            self.dirty[title] = o is None or n is None or self._touched(o, n)
        return self.dirty[title]

    def _patterns(
        self, pointer: str, old: Any, new: Any, reader: Reader, seen: set[str]
    ) -> Iterator[tuple[str, str]]:
        """Every `pattern` that now refuses what its reader took, or lets through what
        an old reader refuses."""
        if not isinstance(old, dict) or not isinstance(new, dict):
            return
        was, now = old.get("pattern"), new.get("pattern")
        if was != now:
            # The server must take all it took; an old client all the server now sends.
            wider, narrower = (now, was) if reader == "server" else (was, now)
            escaped = _escapes(narrower, wider)
            if escaped is not None:
                yield (
                    pointer + "/pattern",
                    f"pattern {_short(was)} -> {_short(now)} ({escaped} was valid before, "
                    "now it is not)"
                    if reader == "server"
                    else f"pattern {_short(was)} -> {_short(now)} ({escaped} is sent now, "
                    "old clients refuse it)",
                )
        for path, o, n in _children(old, new):
            yield from self._patterns(pointer + _pointer(*path), o, n, reader, seen)
        old_ref, new_ref = _ref(old), _ref(new)
        if old_ref is not None and old_ref == new_ref and old_ref not in seen:
            seen.add(old_ref)
            o, n = self.old_defs.get(old_ref), self.new_defs.get(new_ref)
            yield from self._patterns(_pointer("$defs", old_ref), o, n, reader, seen)


def _escapes(inner: str | None, outer: str | None) -> str | None:
    """A string `inner` matches and `outer` does not (shown as JSON), or None if every
    match of `inner` matches `outer`. None for a pattern means any string."""
    if outer is None:
        return None
    try:
        outside = _language(inner) - _language(outer)
        if outside.empty():
            return None
        example = next(iter(outside.strings()), None)
    except (Unsupported, InvalidSyntax):
        return "a string (the patterns are beyond what interegular decides)"
    if example is None:
        return "a string"
    return json.dumps("".join(c if isinstance(c, str) else "\ufffd" for c in example))


def _language(pattern: str | None) -> Any:
    """The strings a JSON Schema `pattern` accepts (an unanchored search) as an FSM."""
    if pattern is None:
        return interegular.parse_pattern(".*").to_fsm()
    body = pattern
    start, end = body.startswith("^"), body.endswith("$") and not body.endswith("\\$")
    body = body[1 if start else 0 : len(body) - 1 if end else len(body)]
    if _top_level_alternation(body) and (start or end):
        # `^a|b$` anchors each branch alone; interegular has no anchors to say so.
        raise Unsupported("anchors around a top-level alternation")
    return interegular.parse_pattern(
        ("" if start else ".*") + f"(?:{body})" + ("" if end else ".*")
    ).to_fsm()


def _top_level_alternation(body: str) -> bool:
    depth, escaped, in_class = 0, False, False
    for char in body:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            return True
    return False
