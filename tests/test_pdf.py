"""pdf: rendered RML is parsed safely, dangerous or unknown markup is refused."""

import shutil

import pytest

from docgen import resources
from docgen.errors import TemplateError
from docgen.layout.pdf import parse_rml, rml_to_pdf

MINIMAL = """<document filename="x.pdf" invariant="1">
<template><pageTemplate id="p"><frame id="f" x1="50" y1="50" width="400" height="700"/></pageTemplate></template>
<stylesheet><paraStyle name="b" fontName="Atkinson" fontSize="12"/></stylesheet>
<story>{}</story></document>"""


def pdf_of(story: str) -> bytes:
    root = parse_rml(MINIMAL.format(story), "t.rml.j2", [resources.default_templates()])
    return rml_to_pdf(root, "t.rml.j2")


def test_minimal_document_renders():
    assert pdf_of('<para style="b">Hello</para>').startswith(b"%PDF")


@pytest.mark.parametrize("element", ["docExec", "docAssign", "docPara", "evalString",
                                     "plugInFlowable", "plugInGraphic", "logConfig"])
def test_code_running_elements_are_refused(element):
    with pytest.raises(TemplateError, match=f"<{element}> is refused"):
        pdf_of(f'<{element} module="os" function="system"/>')


def test_unknown_markup_is_an_error_not_a_silent_drop():
    with pytest.raises(TemplateError, match="paraa"):
        pdf_of('<paraa style="b">Lost text</paraa>')


def test_external_entities_are_not_resolved():
    rml = '<!DOCTYPE document [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + MINIMAL.format(
        '<para style="b">&x;</para>')
    with pytest.raises(TemplateError):
        rml_to_pdf(parse_rml(rml, "t", [resources.default_templates()]), "t")


def test_files_outside_the_templates_folder_are_refused():
    with pytest.raises(TemplateError, match="inside the templates folder"):
        pdf_of('<img file="/etc/hosts" width="10" height="10"/>')
    with pytest.raises(TemplateError, match="inside the templates folder"):
        pdf_of('<img file="../../../etc/hosts" width="10" height="10"/>')


def test_a_template_using_a_refused_element_is_rejected_end_to_end(tmp_path, patient, run):
    templates = shutil.copytree(resources.default_templates(), tmp_path / "templates")
    page = templates / "consent.rml.j2"
    page.write_text(page.read_text().replace(
        "{% block story %}", '{% block story %}<docExec module="os" function="system"/>', 1))
    result = run("consent", patient(), "-o", tmp_path / "out", "--templates", templates)
    assert result.exit_code == 2
    assert "<docExec> is refused" in result.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


PAGED = """<document filename="x.pdf" invariant="1">
<template><pageTemplate id="p"><frame id="f" x1="50" y1="80" width="400" height="680"/>
<footer x="50" y="30" width="400" height="40">
<para style="b">Page <pageNumber/> of <getName id="lastPage"/></para></footer>
</pageTemplate></template>
<stylesheet><paraStyle name="b" fontName="Atkinson" fontSize="12"/></stylesheet>
<story>{}<namedString id="lastPage"><pageNumber/></namedString></story></document>"""


def paged_pdf(pages: int, template: str) -> bytes:
    story = '<nextPage/>'.join(f'<para style="b">Page body {i}</para>' for i in range(pages))
    return rml_to_pdf(parse_rml(PAGED.format(story), template, [resources.default_templates()]), template)


def test_page_totals_learnt_from_earlier_documents_give_the_same_bytes(monkeypatch):
    """A document laid out once from a remembered "lastPage" is the one two passes would make."""
    import io

    import pypdf

    from docgen.layout import pdf

    for pages in (1, 2, 2, 3, 1, 3, 3):
        fast = paged_pdf(pages, "learnt.rml.j2")  # from what the earlier documents ended with
        monkeypatch.setattr(pdf, "_names_seen", {})
        usual = paged_pdf(pages, "fresh.rml.j2")  # nothing remembered: z3c.rml's two passes
        assert fast == usual
        footers = [p.extract_text() for p in pypdf.PdfReader(io.BytesIO(fast)).pages]
        assert footers and all(f"of {pages}" in text for text in footers)
        monkeypatch.undo()


def test_no_font_file_is_parsed_again_for_later_documents(monkeypatch):
    """z3c.rml's reset before each document must not re-read TrueType files (issue 7)."""
    from reportlab.pdfbase import ttfonts

    pdf_of('<para style="b">First</para>')
    parsed = []
    original = ttfonts.TTFontFile.__init__

    def counting(self, *args, **kwargs):
        parsed.append(args[0] if args else kwargs)
        original(self, *args, **kwargs)

    monkeypatch.setattr(ttfonts.TTFontFile, "__init__", counting)
    pdf_of('<para style="b">Second</para>')
    assert parsed == []


@pytest.mark.parametrize("element", ["docIf", "docWhile", "docAssert", "docElse"])
def test_expression_evaluating_elements_are_refused(element):
    with pytest.raises(TemplateError, match=f"<{element}> is refused"):
        pdf_of(f'<{element} cond="__import__(\'os\').system(\'true\')"><para style="b">x</para></{element}>')


def test_module_path_syntax_is_refused_in_any_attribute():
    with pytest.raises(TemplateError, match="would import a Python module"):
        pdf_of('<img src="[os]/x.png" width="10" height="10"/>')
    with pytest.raises(TemplateError, match="would import a Python module"):
        pdf_of('<para style="b" alignment="[os]/x">x</para>')


def test_a_missing_relative_file_is_refused_not_read_from_the_current_folder(tmp_path, monkeypatch):
    # Before: "logo.png" was judged inside the templates folder though it was not there,
    # and z3c.rml then read ./logo.png from wherever docgen was started.
    (tmp_path / "logo.png").write_bytes(b"not checked")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(TemplateError, match="not in the templates folder"):
        pdf_of('<para style="b"><img src="logo.png" width="10" height="10"/></para>')


def test_a_file_in_the_templates_folder_is_read_from_there(tmp_path, monkeypatch):
    from PIL import Image

    templates = tmp_path / "templates"
    templates.mkdir()
    Image.new("RGB", (4, 4), "red").save(templates / "logo.png")
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    root = parse_rml(MINIMAL.format('<para style="b">A<img src="logo.png" width="10" height="10"/></para>'),
                     "t.rml.j2", [templates])
    assert root.find(".//img").get("src") == str((templates / "logo.png").resolve())
    assert rml_to_pdf(root, "t.rml.j2").startswith(b"%PDF")


def test_invariant_mode_is_forced():
    no_invariant = MINIMAL.replace(' invariant="1"', "").format('<para style="b">Hello</para>')
    first = rml_to_pdf(parse_rml(no_invariant, "t.rml.j2", [resources.default_templates()]), "t.rml.j2")
    import time as _time

    _time.sleep(1.1)  # the creation date has one-second resolution
    second = rml_to_pdf(parse_rml(no_invariant, "t.rml.j2", [resources.default_templates()]), "t.rml.j2")
    assert first == second
    assert b"/CreationDate (D:20000101000000" in first
