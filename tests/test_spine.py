"""The picture of the spine on both documents, read back from the PDF's drawing and words."""

import pdfplumber
import pytest
from test_documents import make

from docgen.input.records import VERTEBRAE

WHITE, BLACK = (1.0, 1.0, 1.0), (0.0, 0.0, 0.0)
LABELS = [*VERTEBRAE, "Sacrum"]


def spine_page(path, sacrum="Sacrum"):
    """The page with the picture: its words and the filled shapes drawn on it."""
    pdf = pdfplumber.open(str(path))
    for page in pdf.pages:
        words = page.extract_words(extra_attrs=["fontname", "size"])
        if any(w["text"] == sacrum for w in words):
            return pdf, page, words
    pdf.close()
    raise AssertionError("no page shows the spine picture")


def middle(item):
    return (item["top"] + item["bottom"]) / 2


def labels(words, names):
    """Each label word of the picture by name: the words in the picture's left column."""
    found = {}
    column = [w for w in words if w["text"] == names[-1]][0]["x1"]  # labels end where the sacrum's does
    for w in words:
        if w["text"] in names and abs(w["x1"] - column) < 2 and w["text"] not in found:
            found[w["text"]] = w
    return found


def shapes(page):
    """Bones and the sacrum (filled with white or a colour) and arrows (filled black)."""
    filled = [c for c in page.curves if c["fill"]]
    bones = [c for c in filled if tuple(c["non_stroking_color"]) != BLACK]
    arrows = [c for c in filled if tuple(c["non_stroking_color"]) == BLACK]
    return bones, arrows


def at(shape, words_by_name, pitch):
    """The label the shape sits beside (vertically), or None."""
    near = [(abs(middle(shape) - middle(w)), name) for name, w in words_by_name.items()]
    distance, name = min(near)
    return name if distance < pitch / 2 else None


CASES = [
    pytest.param("L1", ["L1"], id="single"),
    pytest.param("T12;L1", ["T12", "L1"], id="neighbours"),
    pytest.param("C2;T6;L4", ["C2", "T6", "L4"], id="far-apart"),
    pytest.param("C1", ["C1"], id="C1"),
    pytest.param("L5", ["L5"], id="L5"),
]


@pytest.mark.parametrize("levels,treated", CASES)
@pytest.mark.parametrize("document", ["consent", "aftercare"])
def test_treated_bones_are_marked_where_their_labels_are(run, patient, out_dir, document, levels, treated):
    path = make(run, patient, out_dir, document, levels=levels, procedure="vertebroplasty")
    pdf, page, words = spine_page(path)
    with pdf:
        by_name = labels(words, LABELS)
        # every bone from C1 to L5 and the sacrum is labelled, top to bottom
        assert list(by_name) == LABELS
        tops = [by_name[name]["top"] for name in LABELS]
        assert tops == sorted(tops)
        pitch = (by_name["L5"]["top"] - by_name["C1"]["top"]) / (len(VERTEBRAE) - 1)

        bones, arrows = shapes(page)
        assert len(bones) == len(VERTEBRAE) + 1  # the sacrum too
        marked = [b for b in bones if tuple(b["non_stroking_color"]) != WHITE]
        plain = [b for b in bones if tuple(b["non_stroking_color"]) == WHITE]
        # one filled shape and one arrow beside each treated bone's label, none elsewhere
        assert sorted(at(b, by_name, pitch) for b in marked) == sorted(treated)
        assert sorted(at(a, by_name, pitch) for a in arrows) == sorted(treated)
        assert all(at(b, by_name, pitch) not in treated for b in plain)
        # readable without colour: a thick outline, an arrow right of the bone, a bold name
        assert min(b["linewidth"] for b in marked) >= 2 > max(b["linewidth"] for b in plain)
        for arrow in arrows:
            bone = next(b for b in marked if abs(middle(b) - middle(arrow)) < pitch / 2)
            assert bone["x1"] <= arrow["x0"] + 0.5
        for name in LABELS:
            bold = by_name[name]["fontname"].endswith("Bold")
            assert bold == (name in treated), name

        text = " ".join(page.extract_text().split())
    what = "treat are" if document == "consent" else "treated are"
    one = "treat is" if document == "consent" else "treated is"
    listed = " and ".join([", ".join(treated[:-1]), treated[-1]]) if len(treated) > 1 else treated[0]
    caption = (f"The bones we {what} marked: {listed}." if len(treated) > 1
               else f"The bone we {one} marked: {listed}.")
    assert caption in text


def test_picture_is_bigger_in_large_print(run, patient, tmp_path):
    heights = {}
    for large in (False, True):
        path = make(run, patient, tmp_path / str(large), "aftercare", large_print="yes" if large else "no")
        pdf, page, words = spine_page(path)
        with pdf:
            by_name = labels(words, LABELS)
            heights[large] = (by_name["Sacrum"]["top"] - by_name["C1"]["top"],
                              round(by_name["C1"]["size"]))
    # Large print packs the bones closer so the whole spine fits one page: taller, not 4/3 taller.
    assert heights[True][0] > heights[False][0] * 1.1
    assert heights[False][1] == 12 and heights[True][1] == 16


def test_picture_is_translated(run, patient, out_dir):
    path = make(run, patient, out_dir, "aftercare", language="es", levels="T12;L1")
    pdf, page, words = spine_page(path, sacrum="Sacro")
    with pdf:
        by_name = labels(words, [*VERTEBRAE, "Sacro"])
        assert list(by_name) == [*VERTEBRAE, "Sacro"]
        text = " ".join(page.extract_text().split())
    assert "Los huesos que tratamos están marcados: T12 y L1." in text


def test_marks_read_in_black_and_white_print(run, patient, out_dir, tmp_path):
    """Rendered as a grey page (as a black-and-white printer would), each treated bone still
    has an arrow beside it and a darker fill than the others; untreated rows have neither."""
    import shutil
    import subprocess

    from PIL import Image

    path = make(run, patient, out_dir, "aftercare", levels="T4;L1;L2")
    pdf, page, words = spine_page(path)
    with pdf:
        by_name = labels(words, LABELS)
        bones, _ = shapes(page)
        number = page.page_number
    right = max(b["x1"] for b in bones)
    centre = (min(b["x0"] for b in bones) + right) / 2
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "pdftoppm not found: install poppler-utils, as .ci/run does"
    subprocess.run([pdftoppm, "-r", "144", "-gray", "-png", "-f", str(number), "-l", str(number),  # noqa: S603
                    str(path), str(tmp_path / "page")], check=True, capture_output=True)
    image = Image.open(next(tmp_path.glob("page-*.png"))).convert("L")
    scale = 2  # 144 dpi / 72 points per inch

    def grey(x, y):
        return image.getpixel((int(x * scale), int(y * scale)))

    for name in VERTEBRAE:
        y = middle(by_name[name])
        arrow = [grey(x, y) for x in range(int(right) + 6, int(right) + 30)]
        treated = name in ("T4", "L1", "L2")
        assert (min(arrow) < 80) == treated, name  # a black arrow beside the bone
        assert (grey(centre, y) < 200) == treated, name  # the fill shows as grey, not white
