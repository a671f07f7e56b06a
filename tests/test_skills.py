"""`kernelwright skills install`: the skill folder lands where Claude Code and Codex discover it, with
valid frontmatter, and every file it ships is package data (so it is in the wheel)."""

from __future__ import annotations

import fnmatch
import re
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kernelwright.cli import app
from kernelwright.skills import skill_files

ROOT = Path(__file__).resolve().parent.parent
SKILLS = ROOT / "src" / "kernelwright" / "skills"


def frontmatter(text: str) -> dict:
    yaml = pytest.importorskip("yaml")
    m = re.match(r"^---\n(.*?)\n---\n", text, re.DOTALL)
    assert m, "SKILL.md must open with a YAML frontmatter block"
    return yaml.safe_load(m.group(1))


def test_install_for_claude_and_codex_in_a_project(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["skills", "install", "--claude", "--codex", "--project", str(tmp_path)])
    assert result.exit_code == 0, result.output
    claude = tmp_path / ".claude" / "skills" / "kernelwright"
    codex = tmp_path / ".agents" / "skills" / "kernelwright"
    for folder in (claude, codex):
        meta = frontmatter((folder / "SKILL.md").read_text())
        assert meta["name"] == "kernelwright" and len(meta["description"]) > 50
        assert set(meta) == {"name", "description"}
        body = (folder / "SKILL.md").read_text()
        for link in re.findall(r"\]\(([^)#]+)\)", body):  # every relative link resolves in the folder
            assert (folder / link).is_file(), link
        assert (folder / "references" / "triton-rules.md").read_text().count("other=") >= 2
    assert "claude mcp add kernelwright" in result.output and "codex mcp add kernelwright" in result.output


def test_user_level_install_goes_to_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("CLAUDE_CONFIG_DIR", raising=False)
    result = CliRunner().invoke(app, ["skills", "install", "--claude", "--codex", "--json"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / ".claude" / "skills" / "kernelwright" / "SKILL.md").is_file()
    assert (tmp_path / ".agents" / "skills" / "kernelwright" / "SKILL.md").is_file()


def test_bad_invocations_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["skills", "install"])
    assert result.exit_code == 2 and "choose --claude" in result.stderr
    result = CliRunner().invoke(app, ["skills", "install", "--claude", "--project", str(tmp_path / "no")])
    assert result.exit_code == 2 and "project directory not found" in result.stderr


def test_skill_files_are_package_data() -> None:
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"][
        "kernelwright"
    ]
    shipped = [p.relative_to(SKILLS.parent).as_posix() for p in SKILLS.rglob("*.md")]
    assert shipped and all(any(fnmatch.fnmatch(f, g) for g in globs) for f in shipped)
    assert set(skill_files()) == {
        p.relative_to(SKILLS / "kernelwright").as_posix() for p in SKILLS.rglob("*.md")
    }


def test_agents_md_links_resolve() -> None:
    for doc in ("AGENTS.md", "SKILL.md"):
        text = (ROOT / doc).read_text()
        for link in re.findall(r"\]\(([^)#:]+)\)", text):
            assert (ROOT / link).exists(), f"{doc} links {link}"
        for path in re.findall(r"`((?:docs|src)/[\w/.-]+\.md)`", text):
            assert (ROOT / path).exists(), f"{doc} names {path}"
