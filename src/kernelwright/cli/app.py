"""The `kernelwright` command: one app, one module per command group.

Errors: one line on stderr, exit 2 (cli/common.py). Results: stdout.
"""

from __future__ import annotations

import typer

from kernelwright.errors import BadInput

EXAMPLES = """

\b
Examples:
  kernelwright verify src/kernelwright/problems/level1/relu.py examples/relu_correct.py
  kernelwright verify PROBLEM.py CANDIDATE.py --json --seeds 5 --fuzz 8
  kernelwright suite list
  kernelwright suite run PROBLEMS_DIR --candidates CANDIDATES_DIR --jobs 2 --json
  kernelwright demo
"""

app = typer.Typer(
    name="kernelwright",
    help="Judge, optimise and keep AI-written GPU kernels you can trust." + EXAMPLES,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _mount() -> None:
    from kernelwright.cli import agent, demo, integrations, report, store, suite, verify

    for group in (verify, suite, demo, report, agent, integrations, store):
        group.mount(app)


_mount()


def main() -> None:
    try:
        app()
    except BadInput as exc:
        from kernelwright.cli.common import fail

        raise SystemExit(fail(str(exc)).exit_code) from None


if __name__ == "__main__":
    main()
