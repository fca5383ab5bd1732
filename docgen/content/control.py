"""Document control: version, approval status and review date of every piece of content."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

STATUSES = ("draft", "approved", "retired")
FIELDS = ("version", "status", "approved_by", "approved_on", "review_due")


@dataclass(frozen=True)
class Control:
    """The document-control fields a template or catalogue file carries."""

    item: str  # the file it belongs to, as a person would name it
    version: str
    status: str
    approved_by: str
    approved_on: date
    review_due: date

    def unfit_reason(self, today: date) -> str | None:
        """Why this content may not be given to a patient today, or None if it may."""
        if self.status != "approved":
            return f"{self.item} is {self.status}"
        if self.review_due < today:
            return f"{self.item} was due for review on {self.review_due.isoformat()}"
        return None


def parse_control(
    data: Mapping[str, Any], item: str, problem: Callable[[str, str], None]
) -> Control | None:
    """Read the control fields from a mapping; report each missing or wrong one."""
    ok = True
    values: dict[str, Any] = {}
    for name in FIELDS:
        value = data.get(name)
        if value is None or value == "":
            problem(name, "missing (document control)")
            ok = False
            continue
        if name in ("approved_on", "review_due"):
            if isinstance(value, str):
                try:
                    value = date.fromisoformat(value)
                except ValueError:
                    pass
            if not isinstance(value, date):
                problem(name, f"{value!r} is not a date written YYYY-MM-DD")
                ok = False
                continue
        elif name == "status" and value not in STATUSES:
            problem(name, f"{value!r} is not one of {', '.join(STATUSES)}")
            ok = False
            continue
        else:
            value = str(value)
        values[name] = value
    return Control(item=item, **values) if ok else None
