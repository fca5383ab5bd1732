"""What docgen's start-up imports: the layout stack only when a document is laid out."""

# Runs this Python with fixed code, by design.
# ruff: noqa: S603

import subprocess
import sys

import pytest

HEAVY = ("z3c.rml", "reportlab.graphics.barcode", "reportlab.platypus")


@pytest.mark.parametrize("module", ["docgen.cli", "docgen.batch", "docgen.generate"])
def test_importing_docgen_does_not_load_the_layout_stack(module):
    # A fresh interpreter: this test process has long since imported everything.
    code = f"import sys, {module}; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.split() == []


def test_laying_out_a_document_does_load_it():
    # The counter-check: the same probe sees the stack once a PDF is made.
    code = ("import sys; from docgen.layout import pdf; "
            f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "z3c.rml" in loaded.split()
