"""Exception hierarchy. Messages say what to do, because they are printed to users as one line."""

from __future__ import annotations


class KernelwrightError(Exception):
    """Base class."""


class BadInput(KernelwrightError):
    """Bad input to the tool (missing file, unreadable problem, malformed config): exit status 2."""


class ProblemError(BadInput):
    """The problem file is not a usable KernelBench-format problem."""


class WorkerProtocolError(KernelwrightError):
    """A worker sent something that is not a well-formed, authenticated message."""
