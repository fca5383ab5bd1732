"""`docgen risks`: the catalogue as a terminal table, and for one patient what the rules chose and why."""

from __future__ import annotations

from datetime import date

from ..input.records import Case
from .catalogue import Catalogue, Likelihood
from .tailoring import tailor

LANGUAGE = "en"  # the terminal listing is for staff; patients get their own language on paper


def likelihood_words(catalogue: Catalogue, item: Likelihood) -> str:
    band = catalogue.bands[item.band][LANGUAGE]
    return f"{band}: about {item.count} in {item.out_of:,}" if item.out_of else band


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
            for row in rows]


def catalogue_lines(catalogue: Catalogue, procedure: str | None = None) -> list[str]:
    lines = [f"Risk catalogue {catalogue.version} ({catalogue.folder})"]
    for proc in [procedure] if procedure else catalogue.procedures:
        lines += ["", catalogue.procedures[proc]["name"][LANGUAGE]]
        rows = [("Risk", "How likely", "Source")]
        rows += [(risk.title[LANGUAGE], likelihood_words(catalogue, risk.likelihood[proc]),
                  risk.likelihood[proc].source)
                 for risk in catalogue.risks if proc in risk.likelihood]
        lines += _table(rows)
    return lines


def patient_lines(catalogue: Catalogue, case: Case, today: date) -> list[str]:
    """What the rules decide for this patient's consent form, where every rule can apply."""
    tailoring = tailor(catalogue, case, "consent", today)
    name = catalogue.procedures[case.procedure]["name"][LANGUAGE]
    lines = [f"{name}, levels {', '.join(case.levels)}, indication {case.indication}, "
             f"factors: {', '.join(case.comorbidities) or 'none'}", "", "Rules that apply:"]
    lines += [f"  {rule.id}: {rule.why[LANGUAGE]}" for rule in tailoring.fired] or ["  none"]
    if tailoring.refusals:
        lines += ["", "Refused unless a clinician overrides with a reason:"]
        lines += [f"  {rule.id}: {rule.refuse[LANGUAGE]}" for rule in tailoring.refusals]
    lines += ["", "Risks on the form (* = emphasised for this patient):"]
    rows = [("", "Risk", "How likely", "Note")]
    for item in tailoring.risks:
        note = " ".join(n[LANGUAGE] for n in item.notes)
        rows.append(("*" if item.emphasised else "", item.risk.title[LANGUAGE],
                     likelihood_words(catalogue, item.likelihood), note))
    lines += _table(rows)
    return lines
