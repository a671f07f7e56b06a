"""`kernelwright skills install --claude|--codex [--project DIR]`: install the skill where the tool looks.

Exit status: 0 installed, 2 bad input (no tool chosen, missing project folder, unwritable path).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from kernelwright.cli.common import fail
from kernelwright.errors import KernelwrightError

app = typer.Typer(help="The kernelwright skill for coding agents (Claude Code, Codex).", no_args_is_help=True)


@app.command("install")
def install_command(
    claude: Annotated[
        bool, typer.Option("--claude", help="Claude Code: .claude/skills/kernelwright")
    ] = False,
    codex: Annotated[bool, typer.Option("--codex", help="Codex: .agents/skills/kernelwright")] = False,
    project: Annotated[
        Path | None,
        typer.Option("--project", help="Install into this project (default: for the user, in your home)"),
    ] = None,
    legacy_codex_dir: Annotated[
        bool, typer.Option("--legacy-codex-dir", help="Also write ~/.codex/skills (older Codex builds)")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the written paths as JSON")] = False,
) -> None:
    """Write the skill folder (SKILL.md and references/) where Claude Code or Codex discovers it."""
    from kernelwright.skills import Tool, install, mcp_command

    if not (claude or codex):
        raise fail("choose --claude, --codex or both")
    try:
        tools: list[Tool] = [t for t, on in (("claude", claude), ("codex", codex)) if on]  # type: ignore[misc]
        written = {
            tool: [str(p) for p in install(tool, project, legacy_codex_dir=legacy_codex_dir)]
            for tool in tools
        }
    except KernelwrightError as exc:
        raise fail(str(exc)) from None
    if as_json:
        sys.stdout.write(json.dumps(written) + "\n")
        return
    for tool, paths in written.items():
        for p in paths:
            sys.stdout.write(f"{tool}: wrote {p}\n")
        sys.stdout.write(f"{tool}: register the judge's MCP server with: {mcp_command(tool)}\n")


def mount(root: typer.Typer) -> None:
    root.add_typer(app, name="skills")
