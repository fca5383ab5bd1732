"""Print the SHA-256 of a few hundred documents: run before and after a refactor that must not change output.

    python tools/fingerprint.py > before.txt   # on the old commit
    python tools/fingerprint.py > after.txt    # on the new one
    diff before.txt after.txt                  # empty: byte-identical

Invented patients only. Covers both documents and procedures, every language, both print sizes, every
indication, the comorbidities, one to three levels, adults and a minor.
"""

from __future__ import annotations

import hashlib
import itertools
import sys

from docgen import Generator, Options

LEVELS = ["L1", "T12;L1", "T11;T12;L1", "C5", "L5"]
COMORBIDITIES = ["", "copd", "anticoagulants", "copd;anticoagulants"]
INDICATIONS = ["osteoporosis", "metastasis", "myeloma", "hemangioma", "trauma"]


def records():
    combos = itertools.product(("vertebroplasty", "kyphoplasty"), INDICATIONS, LEVELS, COMORBIDITIES)
    for i, (procedure, indication, levels, comorbidities) in enumerate(combos):
        minor = i % 7 == 0
        yield {
            "mrn": f"FP-{i:04d}",
            "given_name": ["Zoë", "Nguyễn Văn", "Ольга", "Ada"][i % 4],
            "family_name": "O'Neil <b>&</b>" if i % 5 == 0 else "Example",
            "date_of_birth": "2010-05-04" if minor else "1941-03-02",
            "procedure": procedure,
            "levels": levels,
            "indication": indication,
            "comorbidities": comorbidities,
            "clinician": "Dr Test Clinician",
            "procedure_date": "2026-11-20",
            "language": "es" if i % 3 == 0 else "en",
            "large_print": "yes" if i % 4 == 0 else "no",
            "override": "Discussed with the patient; benefit outweighs the risk",
        }


def main() -> int:
    generators = {d: Generator(d, Options(allow_draft=True)) for d in ("consent", "aftercare")}
    for raw in records():
        for document, generator in generators.items():
            try:
                built = generator.build(generator.case(raw, source="fingerprint"))
                digest = hashlib.sha256(built.pdf).hexdigest()
            except Exception as error:  # noqa: BLE001 - a refusal is part of the fingerprint too
                digest = f"{type(error).__name__}: {error}"
            print(raw["mrn"], document, digest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
