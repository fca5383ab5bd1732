"""One clock: "today" comes from docgen/clock.py, in the site's zone or as pinned; output ignores the machine."""

import hashlib
import os
import shutil
import subprocess  # noqa: S404 - runs docgen itself under other clocks
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from conftest import BASE_PATIENT, TODAY, flat, pages_text

from docgen import Generator, Options, clock, resources
from docgen.errors import DocgenError

DOCGEN = [str(Path(sys.executable).parent / "docgen")]


def test_pinned_day_wins_over_the_environment_and_the_calendar(monkeypatch):
    monkeypatch.setenv(clock.ENV_TODAY, "2030-01-02")
    assert clock.today() == date(2030, 1, 2)
    assert clock.today(pinned=date(2031, 5, 6)) == date(2031, 5, 6)


def test_today_is_the_sites_day_not_the_machines(monkeypatch):
    monkeypatch.delenv(clock.ENV_TODAY)
    now = datetime.now(UTC)
    # Kiritimati (UTC+14) and Pago Pago (UTC-11) are on different days for 11 hours of every 24.
    for name, offset in (("Pacific/Kiritimati", 14), ("Pacific/Pago_Pago", -11)):
        assert clock.today(name) in {(now + timedelta(hours=offset)).date(),
                                     (datetime.now(UTC) + timedelta(hours=offset)).date()}


@pytest.mark.parametrize("value", ["tomorrow", "2026-02-30", "24/11/2026", "2026-11-24T10:00"])
def test_a_bad_pinned_day_is_one_line_naming_the_variable(monkeypatch, value):
    monkeypatch.setenv(clock.ENV_TODAY, value)
    with pytest.raises(DocgenError, match=r"^DOCGEN_TODAY: .* is not a date written YYYY-MM-DD$"):
        clock.today()


def test_site_time_zone_is_validated(tmp_path, patient, run):
    templates = shutil.copytree(resources.default_templates(), tmp_path / "templates")
    site = templates / "site.yaml"
    site.write_text(site.read_text().replace("timezone: Europe/London", "timezone: Mars/Olympus"))
    result = run("consent", patient(), "--templates", templates)
    assert result.exit_code == 2
    assert result.output.strip().endswith(
        "site.yaml: timezone: 'Mars/Olympus' is not a time zone name such as Europe/London")


def test_generator_takes_today_from_options_or_the_site_zone():
    assert Generator("consent", Options(today=date(2027, 1, 1))).today == date(2027, 1, 1)
    assert Generator("consent").today == date.fromisoformat(TODAY)  # conftest pins DOCGEN_TODAY


def test_age_without_a_procedure_date_is_judged_on_the_clocks_day(run, patient, tmp_path):
    # 18 on 2026-11-24 exactly: no signature block for a minor that day, one the day before.
    record = patient(date_of_birth="2008-11-24", procedure_date=None)
    grown = run("risks", "--patient", record)
    assert "under-18-minor" not in grown.output
    os.environ[clock.ENV_TODAY] = "2026-11-23"  # monkeypatch (autouse) restores it
    young = run("risks", "--patient", record)
    assert "under-18-minor" in young.output


def _env(**changes: str | None) -> dict:
    """This process's environment without clock settings, then ``changes`` (None removes one)."""
    env = {k: v for k, v in os.environ.items() if k not in ("SOURCE_DATE_EPOCH", "TZ")}
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def _consent(tmp_path: Path, name: str, env: dict, *prefix: str) -> subprocess.CompletedProcess:
    record = tmp_path / "patient.yaml"
    record.write_text("\n".join(f"{k}: {v!r}" if isinstance(v, str) else f"{k}: {v}"
                                for k, v in BASE_PATIENT.items()), encoding="utf-8")
    return subprocess.run([*prefix, *DOCGEN, "consent", str(record), "-o", str(tmp_path / name)],  # noqa: S603
                          env=env, capture_output=True, text=True, timeout=120, check=False)


def test_same_bytes_whatever_the_time_zone_and_source_date_epoch(tmp_path):
    first = _consent(tmp_path, "a", _env(TZ="Pacific/Kiritimati", SOURCE_DATE_EPOCH="1700000000"))
    second = _consent(tmp_path, "b", _env(TZ="America/Los_Angeles"))
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    a, b = (Path(r.stdout.strip()).read_bytes() for r in (first, second))
    assert hashlib.sha256(a).hexdigest() == hashlib.sha256(b).hexdigest()
    assert b"/CreationDate (D:20000101000000+00'00')" in a  # ReportLab's invariant date, not 2023


FAKETIME = shutil.which("faketime")
needs_faketime = pytest.mark.skipif(FAKETIME is None and not os.environ.get("CI"),
                                    reason="faketime not installed (apt-get install faketime)")


@needs_faketime
def test_two_years_ahead_a_pinned_run_passes_and_a_real_run_refuses(tmp_path):
    """Under a clock two years ahead: with the day pinned, check and a document work as today;
    without it, the shipped content is past review and docgen refuses it."""
    ahead = [FAKETIME, "-f", "+2y"]
    pinned = _env(DOCGEN_TODAY=TODAY)
    checked = subprocess.run([*ahead, *DOCGEN, "check"], env=pinned, capture_output=True,  # noqa: S603
                             text=True, timeout=300, check=False)
    assert checked.returncode == 0, checked.stderr
    assert "docgen check: all content valid" in checked.stdout
    made = _consent(tmp_path, "pinned", pinned, *ahead)
    assert made.returncode == 0, made.stderr
    assert "Ada Example" in flat(" ".join(pages_text(Path(made.stdout.strip()))))

    real = _consent(tmp_path, "real", _env(DOCGEN_TODAY=None), *ahead)
    assert real.returncode == 1
    assert "was due for review on 2027-11-23" in real.stderr
    assert "content not approved for patients" in real.stderr
    assert not (tmp_path / "real").exists() or not any((tmp_path / "real").iterdir())
