"""Forging the judge's result: exiting early or writing to file descriptors the candidate does not own.

Cheat 3 (THREATS.md) prints result-looking lines and exits with status 0, or writes forged frames to
inherited descriptors (found through ``sys.argv`` or by trying 3..N). The runtime authenticates its
channel and treats an early exit as a crash; the static rule names the clumsy versions. Code under
``if __name__ == "__main__":`` never runs inside the judge and is skipped.
"""

from __future__ import annotations

import ast

from kernelwright.guard.aliases import matches_any, words
from kernelwright.guard.context import Context
from kernelwright.guard.rules._base import info

RESULT_FORGERY = info(
    "KW-S015",
    "result-forgery",
    "hard",
    "tampering",
    "exits the process early, or reads sys.argv / writes raw file descriptors (the judge's result channel)",
)

EXITS = words(
    "os._exit os.abort sys.exit builtins.exit builtins.quit signal.raise_signal"
)  # os.kill: process-spawn
RAW_FDS = words(
    "os.write os.writev os.pwrite os.fdopen os.dup os.dup2 os.close os.closerange os.sendfile "
    "os.set_inheritable sys.argv sys.orig_argv sys.__stdout__ sys.__stderr__"
)
_EXIT_WHY = (
    "ending the process from inside the candidate cuts the judge's run short (a worker that exits early is "
    "a crash, whatever it printed); that is tampering with the result. Return from forward normally."
)
_FD_WHY = (
    "the judge's result channel is an inherited descriptor named on the command line; reading argv or "
    "writing raw descriptors is how results are forged, and frames are authenticated anyway. A kernel "
    "needs neither: return your output."
)


def _under_main_guard(ctx: Context, node: ast.AST) -> bool:
    for anc in ctx.ancestors(node):
        if (
            isinstance(anc, ast.If)
            and "__name__" in ast.unparse(anc.test)
            and "__main__" in ast.unparse(anc.test)
        ):
            return True
    return False


def check_result_forgery(ctx: Context) -> None:
    """os._exit / sys.exit / exit / os.abort, and sys.argv or raw-descriptor I/O (os.write, os.dup2...)."""
    for node, qual in ctx.references():
        if _under_main_guard(ctx, node):
            continue
        if matches_any(qual, EXITS):
            ctx.report(RESULT_FORGERY, node, f"uses {qual}: {_EXIT_WHY}")
        elif matches_any(qual, RAW_FDS):
            ctx.report(RESULT_FORGERY, node, f"uses {qual}: {_FD_WHY}")


RULES = [RESULT_FORGERY]
CHECKS = [check_result_forgery]
