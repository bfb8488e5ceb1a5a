"""The project is self-contained: its docs link only to files it has, and cite no outside design."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.mark.parametrize("page", DOCS, ids=lambda p: p.name)
def test_every_relative_link_of_the_docs_names_a_file_in_the_repository(page: Path) -> None:
    broken = []
    for target in LINK.findall(page.read_text()):
        if target.startswith(("http://", "https://", "mailto:", "#")):
            continue
        path = (page.parent / target.split("#", 1)[0]).resolve()
        if not path.exists() or ROOT not in path.parents:
            broken.append(target)
    assert not broken, f"{page.name} links to missing files: {broken}"


def test_the_readme_links_only_to_files_in_the_repository() -> None:
    targets = LINK.findall((ROOT / "README.md").read_text())
    assert targets and not [t for t in targets if "://" in t or t.startswith("/")]


def test_nothing_in_the_repository_cites_a_design_document_outside_it() -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "*.py", "*.md", "*.html", "*.txt", "*.toml", "Makefile"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    ).stdout.split()  # fmt: skip
    if not tracked:
        pytest.skip("not a git checkout")
    pattern = re.compile(r"DESIGN\.md|DESIGN §|design document|\.\./shared")
    me = Path(__file__).relative_to(ROOT).as_posix()
    cited = [
        name
        for name in tracked
        if name != me and (ROOT / name).is_file() and pattern.search((ROOT / name).read_text())
    ]
    assert not cited, cited
