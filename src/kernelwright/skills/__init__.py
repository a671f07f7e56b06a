"""The kernelwright skill for coding agents, shipped in the wheel, and its installer.

`kernelwright/` holds the skill folder exactly as it is installed: `SKILL.md` (YAML frontmatter with
`name` and `description`, then the loop) and `references/` (verdict fields, Triton and CUDA rules; the
agent's system prompt includes the same rule files). `install()` copies it where each tool looks:

- Claude Code: `<project>/.claude/skills/kernelwright/` or, user-wide, `~/.claude/skills/kernelwright/`
  (`$CLAUDE_CONFIG_DIR/skills/` when that is set).
- Codex: `<project>/.agents/skills/kernelwright/` or, user-wide, `~/.agents/skills/kernelwright/`.
  Codex's documentation (https://developers.openai.com/codex/skills, "Agent Skills") describes a
  skill as a folder with a SKILL.md holding `name` and `description` plus optional `references/`, and
  scans `.agents/skills` from the working directory up to the repository root and `$HOME/.agents/skills`
  for the user; older Codex builds read `~/.codex/skills` (`--legacy-codex-dir` also writes there).
"""

from __future__ import annotations

import os
import shlex
import sys
from importlib import resources
from pathlib import Path
from typing import Literal

from kernelwright.errors import BadInput

SKILL = "kernelwright"
Tool = Literal["claude", "codex"]


def skill_files() -> dict[str, str]:
    """The skill folder's files, relative path -> text, read from the installed package."""
    root = resources.files("kernelwright") / "skills" / SKILL
    out: dict[str, str] = {}

    def walk(node: resources.abc.Traversable, prefix: str) -> None:
        for child in sorted(node.iterdir(), key=lambda c: c.name):
            if child.is_dir():
                walk(child, f"{prefix}{child.name}/")
            elif child.name.endswith(".md"):
                out[f"{prefix}{child.name}"] = child.read_text(encoding="utf-8")

    walk(root, "")
    if "SKILL.md" not in out:
        raise BadInput("this kernelwright install has no skill files (package data missing)")
    return out


def skill_dirs(tool: Tool, project: Path | None, *, legacy_codex_dir: bool = False) -> list[Path]:
    """Where `tool` discovers the skill: the project's folder, or the user's when `project` is None."""
    if tool == "claude":
        if project is not None:
            return [project / ".claude" / "skills" / SKILL]
        base = Path(os.environ.get("CLAUDE_CONFIG_DIR") or Path.home() / ".claude")
        return [base / "skills" / SKILL]
    if tool == "codex":
        dirs = [(project if project is not None else Path.home()) / ".agents" / "skills" / SKILL]
        if legacy_codex_dir and project is None:
            base = Path(os.environ.get("CODEX_HOME") or Path.home() / ".codex")
            dirs.append(base / "skills" / SKILL)
        return dirs
    raise BadInput(f"unknown tool {tool!r}: claude or codex")


def install(tool: Tool, project: Path | None = None, *, legacy_codex_dir: bool = False) -> list[Path]:
    """Write the skill folder where `tool` finds it; returns the SKILL.md paths written.

    Reinstalling replaces the files kernelwright ships and leaves anything else in the folder alone.
    """
    if project is not None and not project.is_dir():
        raise BadInput(f"project directory not found: {project}")
    files = skill_files()
    written = []
    for folder in skill_dirs(tool, project, legacy_codex_dir=legacy_codex_dir):
        for rel, text in files.items():
            path = folder / rel
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
            except OSError as exc:
                raise BadInput(f"cannot write the skill to {path}: {exc.strerror or exc}") from exc
        written.append(folder / "SKILL.md")
    return written


def mcp_command(tool: Tool) -> str:
    """The one command that registers the MCP server with `tool`.

    This install's interpreter running the server module directly: it starts faster than the
    `kernelwright mcp` command (which loads every CLI command first) and needs nothing on PATH.
    """
    return f"{tool} mcp add kernelwright -- {shlex.quote(sys.executable)} -m kernelwright.integrations.mcp_server"
