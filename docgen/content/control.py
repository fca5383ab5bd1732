"""Document control: version, approval status and review date of every piece of content."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import ValidationError

from .models import STATUSES, ControlFields, problems

FIELDS = tuple(ControlFields.model_fields)  # version, status, approved_by, approved_on, review_due
__all__ = ["FIELDS", "STATUSES", "Control", "from_fields", "parse_control"]


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


def from_fields(fields: ControlFields, item: str) -> Control:
    """The Control of a validated file (see content/models.py) named ``item``."""
    return Control(item=item, **fields.model_dump(include=set(FIELDS)))


def parse_control(
    data: Mapping[str, Any], item: str, problem: Callable[[str, str], None]
) -> Control | None:
    """Read the control fields from a mapping (other keys are not looked at); report each wrong one."""
    try:
        fields = ControlFields.model_validate({name: data[name] for name in FIELDS if name in data})
    except ValidationError as error:
        for found in problems(error, "", ControlFields):
            problem(found.field, found.reason)
        return None
    return from_fields(fields, item)
