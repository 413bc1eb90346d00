"""llb's own exceptions: each message is one line that says what is wrong and what to do.

A failing *program* is not an exception (it becomes a status and a reason in a result record);
these are for bad configuration, bad user input and broken installations.
"""


class LlbError(Exception):
    """Base class: the CLI prints ``str(error)`` on one line and exits non-zero."""


class ToolchainError(LlbError):
    """The Stan toolchain (stanc, headers, C++ compiler) is missing or broken."""


class DataError(LlbError):
    """The data given to a program is malformed or does not match what the program declares."""


class ProgramError(LlbError):
    """A program cannot be used: stanc rejects it, it is refused, or it does not compile.

    ``stage`` names where it failed ("validate", "compile", "load"), so callers can turn it into a
    per-program status instead of stopping a run.
    """

    def __init__(self, message: str, *, stage: str) -> None:
        super().__init__(message)
        self.stage = stage
