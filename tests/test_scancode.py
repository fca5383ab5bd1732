"""scancode: the faster mask choice gives exactly ReportLab's QR codes."""

import random

import pytest
from reportlab.graphics.barcode import qrencoder

from docgen.layout import scancode


def reportlab_modules(text: str, level: str):
    qr = qrencoder.QRCode(None, getattr(qrencoder.QRErrorCorrectLevel, level))
    qr.addData(text)
    qr.make()
    return tuple(tuple(bool(m) for m in row) for row in qr.modules)


def texts():
    rng = random.Random(7)  # noqa: S311 (made-up test texts, not secrets)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789|-' abcxyzéΩ"
    yield "DOCGEN|EX-100234|consent|88A79C541355|p1"
    for size in (1, 8, 25, 40, 60, 100, 160, 260):  # versions 1 to 10 and more
        yield "".join(rng.choice(alphabet) for _ in range(size))


@pytest.mark.parametrize("level", scancode.LEVELS)
def test_same_matrix_as_reportlab(level):
    for text in texts():
        assert scancode.modules.__wrapped__(text, level) == reportlab_modules(text, level), text
