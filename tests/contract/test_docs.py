"""The README stays a front page and the docs stay short pages whose links all land."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
PAGES = sorted((ROOT / "docs").glob("*.md"))
# The examples' own front pages: their links are held to the same rule.
EXAMPLES = sorted((ROOT / "examples").glob("*/README.md"))

MAX_README_LINES = 260
MAX_PAGE_LINES = 400

_FENCE = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.MULTILINE | re.DOTALL)
_CODE_SPAN = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"\]\(([^()\s]+)\)")
_HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t#]*$", re.MULTILINE)


def _prose(path: Path) -> str:
    """The file's text without its fenced code blocks (a `# comment` there is no heading)."""
    return _FENCE.sub("", path.read_text(encoding="utf-8"))


def _links(path: Path) -> list[str]:
    """The targets of the file's Markdown links and images, outside code."""
    return _LINK.findall(_CODE_SPAN.sub("", _prose(path)))


def _local(target: str) -> bool:
    """A link into this repository, not a URL."""
    return re.match(r"^[a-z][a-z0-9+.-]*:", target) is None


def _anchors(path: Path) -> set[str]:
    """The anchors GitHub gives the file's headings (lower case, punctuation dropped,
    spaces to hyphens, a repeat numbered)."""
    seen: dict[str, int] = {}
    anchors: set[str] = set()
    for heading in _HEADING.findall(_prose(path)):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_the_readme_is_a_front_page() -> None:
    """README.md stays within 260 lines: the guides live in docs/."""
    assert _lines(README) <= MAX_README_LINES, (
        f"README.md has {_lines(README)} lines (at most {MAX_README_LINES}): move a section "
        "to a page in docs/"
    )


def test_no_docs_page_is_longer_than_400_lines() -> None:
    """Every docs/*.md page stays within 400 lines; a longer one is split."""
    long = [f"{p.name}: {_lines(p)}" for p in PAGES if _lines(p) > MAX_PAGE_LINES]
    assert long == [], f"docs pages over {MAX_PAGE_LINES} lines (split them): {long}"


def test_every_docs_page_is_linked_from_the_readme() -> None:
    """The README's table of contents links every docs/*.md page."""
    linked = {
        (ROOT / target.split("#")[0]).resolve() for target in _links(README) if _local(target)
    }
    missing = [p.name for p in PAGES if p.resolve() not in linked]
    assert missing == [], f"docs pages the README does not link: {missing}"


def test_relative_links_point_to_files_that_exist() -> None:
    """Every relative link in README.md, docs/*.md and the examples' READMEs names a file
    or folder that exists."""
    broken = [
        f"{source.relative_to(ROOT)}: {target}"
        for source in [README, *PAGES, *EXAMPLES]
        for target in _links(source)
        if _local(target)
        and target.split("#")[0]
        and not (source.parent / target.split("#")[0]).exists()
    ]
    assert broken == [], f"links to nothing: {broken}"


def test_links_to_a_heading_find_it() -> None:
    """Every `page.md#anchor` or `#anchor` link in README.md and docs/*.md names a heading
    of that page."""
    broken: list[str] = []
    for source in [README, *PAGES, *EXAMPLES]:
        for target in _links(source):
            path, _, anchor = target.partition("#")
            page = (source.parent / path) if path else source
            heading = _local(target) and anchor and page.suffix == ".md" and page.exists()
            if heading and anchor not in _anchors(page):
                broken.append(f"{source.relative_to(ROOT)}: {target}")
    assert broken == [], f"links to a heading that is not there: {broken}"
