"""Every error docgen reports to a person, each with the place it is about."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field

import click

# Exit statuses, as documented in the README and DESIGN.md.
EXIT_OK = 0
EXIT_REFUSED = 1  # some records (or the one record) were refused; good ones were still written
EXIT_UNUSABLE = 2  # the command itself could not run: bad option, unreadable file, missing column
EXIT_INTERRUPTED = 130  # the shell's convention for a run stopped by Ctrl-C


def one_line(exc: BaseException, limit: int = 200) -> str:
    """An exception's text on one short line: enough to find the fault, never a traceback."""
    return " ".join(str(exc).split())[:limit] or type(exc).__name__


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, and where: file, row (spreadsheet numbering) and field."""

    source: str
    field: str
    reason: str
    row: int | None = None
    # The offending text, for the private reports (errors.csv, manifest.csv) only: the
    # terminal shows str(problem), which never includes it, since it may be patient data.
    value: str | None = dataclass_field(default=None, compare=False, repr=False)

    def with_hint(self, how_to_override: str) -> Problem:
        return Problem(self.source, self.field,
                       f"{self.reason} (a clinician may proceed {how_to_override})", self.row, self.value)

    def private_reason(self) -> str:
        """The reason with the value that was refused, for a report only its owner can read."""
        return self.reason if self.value is None else f"{self.reason} (found {self.value!r})"

    def __str__(self) -> str:
        where = self.source
        if self.row is not None:
            where += f": row {self.row}"
        if self.field:
            where += f": {self.field}"
        return f"{where}: {self.reason}"


class DocgenError(click.ClickException):
    """Base class: an error with a one-line message for a person, never a traceback.

    Subclassing ClickException lets the command line print the message and exit
    with ``exit_code`` without a try/except in every command.
    """

    exit_code = EXIT_UNUSABLE

    def __init__(self, message: str, problems: tuple[Problem, ...] = ()):
        super().__init__(message)
        self.problems = problems

    def format_message(self) -> str:
        return self.message


class InputFileError(DocgenError):
    """An input file is missing, unreadable, or not the YAML/JSON/CSV it claims to be."""


class RecordError(DocgenError):
    """A patient record has missing or invalid fields; ``problems`` lists every one."""

    exit_code = EXIT_REFUSED

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]):
        problems = tuple(problems)
        super().__init__("; ".join(str(p) for p in problems), problems)


class SafetyRefusal(RecordError):
    """A clinical safety rule refuses this record unless a clinician overrides it with a reason.

    Each problem says which rule refused and why; how a clinician states the reason depends on
    where the record came from, so each way in (command line, list, web page) adds its own hint.
    """

    def __init__(self, problems: list[Problem] | tuple[Problem, ...],
                 how_to_override: str = 'with --override "REASON"'):
        self.refusals = tuple(problems)
        super().__init__(tuple(p.with_hint(how_to_override) for p in self.refusals))

    def how(self, how_to_override: str) -> tuple[Problem, ...]:
        """The same refusals, telling the clinician how to proceed where they work."""
        return tuple(p.with_hint(how_to_override) for p in self.refusals)


class CatalogueError(DocgenError):
    """The risk catalogue (risks/*.yaml) is broken: the message names the file and field."""


class TemplateError(DocgenError):
    """A template is broken or uses RML that docgen refuses (code-running, unknown markup)."""


class ContentControlError(DocgenError):
    """Content is draft, retired or past its review date and may not be given to patients."""

    exit_code = EXIT_REFUSED


class OutputConflict(DocgenError):
    """The output file exists already and ``--force`` was not given."""

    exit_code = EXIT_REFUSED


class OutputError(DocgenError):
    """An output folder or file cannot be written (exit 2): the path, and why (a full disk says so)."""


class ColumnError(DocgenError):
    """A batch list lacks a column the documents need, or a column map or --set is wrong."""


class Interrupted(DocgenError):
    """A batch was stopped (Ctrl-C): every file written is complete; re-run to finish."""

    exit_code = EXIT_INTERRUPTED
