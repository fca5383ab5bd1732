"""One clock: the day docgen judges review dates and ages on, in the site's time zone, or as a caller pins it.

Nothing else in docgen reads the calendar. A caller pins the day with ``Options(today=...)``
(tests, the web application) or the ``DOCGEN_TODAY`` environment variable (tests run in
a subprocess, and scheduled runs that must print as of a given day); otherwise it is
today in the site's time zone (``timezone:`` in site.yaml), never the machine's zone.
"""

from __future__ import annotations

import os
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import DocgenError

ENV_TODAY = "DOCGEN_TODAY"
DEFAULT_ZONE = "Europe/London"
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class ClockError(DocgenError):
    """The pinned day (DOCGEN_TODAY) or the site's time zone cannot be used."""


def zone(name: str) -> ZoneInfo:
    """The IANA time zone called ``name``; ClockError if there is none."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ClockError(f"{name!r} is not a time zone name such as Europe/London") from None


def parse_day(text: str, where: str) -> date:
    """A day written YYYY-MM-DD; ClockError naming ``where`` otherwise."""
    text = text.strip()
    try:
        if _ISO_DATE.fullmatch(text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise ClockError(f"{where}: {text!r} is not a date written YYYY-MM-DD")


def today(zone_name: str = DEFAULT_ZONE, pinned: date | None = None) -> date:
    """The day to judge dates on: ``pinned``, else DOCGEN_TODAY, else today in ``zone_name``."""
    if pinned is not None:
        return pinned
    if os.environ.get(ENV_TODAY, "").strip():
        return parse_day(os.environ[ENV_TODAY], ENV_TODAY)
    return datetime.now(zone(zone_name)).date()
