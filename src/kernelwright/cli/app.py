"""The `kernelwright` command: one app, one module per command group.

Errors: one line on stderr, exit 2 (cli/common.py). Results: stdout.
"""

from __future__ import annotations

import errno
import sys
from typing import Any

import typer
import typer.core

from kernelwright.errors import BadInput, KernelwrightError

try:  # typer >= 0.20 vendors click; older ones use click itself
    from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError
except ImportError:  # pragma: no cover
    from click.exceptions import ClickException, NoArgsIsHelpError, UsageError  # type: ignore[assignment]


class OneLineError(ClickException):
    """An error click shows as the one `kernelwright: ...` line on stderr, exit status 2."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        from kernelwright.cli.common import one_line

        (file or sys.stderr).write(f"kernelwright: {one_line(self.message)}\n")


def _usage_line(exc: UsageError) -> OneLineError:
    where = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx is not None else ""
    return OneLineError(f"{exc.format_message()}{where}")


class KernelwrightCommand(typer.core.TyperCommand):
    """Usage and argument rows as click writes them: `verify [OPTIONS] PROBLEM CANDIDATE`, `RESULTS...`.

    typer 0.29 writes a required argument as `{problem}` and a list argument's row as
    `results... <list[Path]>`, which reads like a template nobody filled in.
    """

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                name = _argument_name(param)
                pieces.append(name if param.required else f"[{name}]")
            else:
                pieces.extend(param.get_usage_pieces(ctx))
        return pieces

    def format_options(self, ctx: Any, formatter: Any) -> None:
        args, opts = [], []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if param.param_type_name == "argument":
                args.append((_argument_name(param), record[1]))
            else:
                opts.append(record)
        for title, rows in (("Arguments", args), ("Options", opts)):
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


def _argument_name(param: Any) -> str:
    name = param.metavar or (param.name or "").upper()
    return name + ("..." if param.nargs != 1 else "")


def _click_style(command: Any) -> None:
    """Every command below the root renders through KernelwrightCommand (typer builds them itself)."""
    for sub in getattr(command, "commands", {}).values():
        if type(sub) is typer.core.TyperCommand:
            sub.__class__ = KernelwrightCommand  # a subclass without state of its own
        _click_style(sub)


class KernelwrightGroup(typer.core.TyperGroup):
    """The app's root group: every error below it, from parsing to the command body, is one line.

    Why here and not only in `main()`: typer's CliRunner (the tests) invokes the group, not `main()`,
    and click prints a usage error as four lines (usage, hint, blank, error). A bug that escapes a
    command becomes one line too (exit 2); KERNELWRIGHT_DEBUG=1 shows its traceback instead.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _click_style(self)

    def make_context(self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any) -> Any:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except NoArgsIsHelpError:
            raise
        except UsageError as exc:
            raise _usage_line(exc) from None

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, NoArgsIsHelpError, OneLineError):
            raise
        except UsageError as exc:
            raise _usage_line(exc) from None
        except ClickException:
            raise
        except KernelwrightError as exc:
            raise OneLineError(str(exc)) from None
        except OSError as exc:
            if exc.errno == errno.EPIPE:  # stdout closed by `| head`: typer's own handling
                raise
            raise OneLineError(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": ")) from None
        except Exception as exc:
            from kernelwright.settings import debug

            if debug():
                raise
            raise OneLineError(
                f"internal error ({type(exc).__name__}: {exc}); KERNELWRIGHT_DEBUG=1 shows the traceback"
            ) from None


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
    cls=KernelwrightGroup,
)


def _version(value: bool) -> None:
    """`kernelwright --version`: this package, and the toolchain a verdict would record."""
    if not value:
        return
    import platform
    from importlib.metadata import PackageNotFoundError, version

    from kernelwright import __version__

    def ver(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "not installed"

    typer.echo(
        f"kernelwright {__version__} (python {platform.python_version()}, torch {ver('torch')}, "
        f"triton {ver('triton')})"
    )
    raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit"
    ),
) -> None:
    """Judge, optimise and keep AI-written GPU kernels you can trust."""


def _mount() -> None:
    from kernelwright.cli import agent, demo, integrations, report, repro, skills, store, suite, verify

    for group in (verify, suite, demo, report, agent, integrations, store, repro, skills):
        group.mount(app)


_mount()


def main() -> None:
    try:
        from kernelwright import bytecode

        bytecode.enable()  # before torch is imported: where the install has no bytecode (bytecode.py)
        app()
    except BadInput as exc:
        from kernelwright.cli.common import fail

        raise SystemExit(fail(str(exc)).exit_code) from None


if __name__ == "__main__":
    main()
