"""output: file names that cannot escape the folder or collide, atomic no-clobber writes."""

import pytest

from docgen.errors import OutputConflict
from docgen.output import file_name, safe_part, write_atomic


@pytest.mark.parametrize("mrn", ["../../etc/passwd", "/abs/path", "a\\b", "..", ".", "CON", "x" * 300,
                                 "Łódź 12", "name\x00", "~root"])
def test_safe_part_is_a_plain_name(mrn):
    part = safe_part(mrn)
    assert part and "/" not in part and "\\" not in part and not part.startswith(".")
    assert set(part) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
    assert len(part) <= 49


def test_plain_mrn_is_kept_and_changed_ones_cannot_collide():
    assert safe_part("RJ1-1234567") == "RJ1-1234567"
    assert safe_part("12/34") != safe_part("12-34")
    assert safe_part("12/34") != safe_part("12\\34")


def test_file_name_has_mrn_document_and_procedure():
    assert file_name("A1", "consent", "kyphoplasty") == "A1_consent_kyphoplasty.pdf"


def test_write_atomic_refuses_to_overwrite_unless_forced(tmp_path):
    path = tmp_path / "a.pdf"
    write_atomic(path, b"one")
    with pytest.raises(OutputConflict, match="already exists"):
        write_atomic(path, b"two")
    assert path.read_bytes() == b"one"
    write_atomic(path, b"three", force=True)
    assert path.read_bytes() == b"three"
    assert [p.name for p in tmp_path.iterdir()] == ["a.pdf"]  # no temporary files left


def test_fallback_font_wraps_only_characters_the_main_font_lacks():
    from lxml import etree

    from docgen.layout.fonts import FALLBACK, apply_fallback

    root = etree.fromstring("<document><para>Anna <b>Кузнецова</b> and Nguyễn</para></document>")
    apply_fallback(root)
    wrapped = ["".join(el.itertext()) for el in root.iter("font")]
    names = {"".join(el.itertext()): el.get("name") for el in root.iter("font")}
    # the name keeps its weight: inside <b> the fallback's bold face is named
    assert names == {"Кузнецова": f"{FALLBACK}-Bold", "ễ": FALLBACK}
    assert "".join(root.find("para").itertext()) == "Anna Кузнецова and Nguyễn"
    assert "Кузнецова" in wrapped and "Anna" not in " ".join(wrapped)
