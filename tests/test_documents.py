"""End to end: `docgen consent` and `docgen aftercare` as a clinician runs them, read back from the PDF."""

import os
import stat

import pypdf
import pytest
from conftest import flat, pages_text

from docgen.content.catalogue import load_catalogue
from docgen.layout.render import template_controls
from docgen.resources import default_risks, default_templates

RISK_TITLES = ["Bleeding", "Infection", "A new broken bone", "Cement leaking out of the bone",
               "Cement reaching the lungs", "Serious breathing problems"]
PROCEDURES = ["vertebroplasty", "kyphoplasty"]


def make(run, patient, out_dir, document, **fields):
    result = run(document, patient(**fields), "-o", out_dir)
    assert result.exit_code == 0, result.output
    path = out_dir / result.stdout.strip().splitlines()[-1].split("/")[-1]
    assert path.is_file()
    return path


@pytest.mark.parametrize("procedure", PROCEDURES)
@pytest.mark.parametrize("document", ["consent", "aftercare"])
def test_every_page_carries_identity_title_and_page_i_of_n(run, patient, out_dir, document, procedure):
    path = make(run, patient, out_dir, document, procedure=procedure)
    pages = [flat(t) for t in pages_text(path)]
    assert len(pages) >= 2
    title = "Consent form: " if document == "consent" else "After your "
    # the version the template itself declares, so a content change bumps one place only
    versions = {d: template_controls(default_templates(), d)[0].version for d in ("consent", "aftercare")}
    catalogue_version = load_catalogue(default_risks()).version
    for i, text in enumerate(pages, start=1):
        assert "Example, Ada" in text
        assert "Born 2 March 1941" in text
        assert "MRN TEST-0001" in text
        assert f"Page {i} of {len(pages)}" in text
        assert title in text
        assert f"Template {document} {versions[document]}" in text and f"Risk catalogue {catalogue_version}" in text
        # the shipped content has had no clinical review, and every page says so
        assert "Example content, not yet approved by Example General Hospital" in text


@pytest.mark.parametrize("procedure", PROCEDURES)
def test_consent_form_content(run, patient, out_dir, procedure):
    path = make(run, patient, out_dir, "consent", procedure=procedure, levels="T11;T12")
    text = flat(" ".join(pages_text(path)))
    for title in RISK_TITLES:
        assert title in text
    assert procedure.capitalize() in text
    assert "T11, T12 (2 bones)" in text
    assert ("balloon is blown up" in text) == (procedure == "kyphoplasty")
    for part in ["sedation", "local anaesthetic", "about 1 hour for each bone",
                 "No treatment", "back brace", "physiotherapy", "Pain medicine",
                 "If you do not have the treatment", "questions you want to ask",
                 "anything you do not want done", "I agree to have the treatment",
                 "Responsible health professional", "Dr Test Clinician", "Witness", "Interpreter",
                 "Where the numbers come from", "Example General Hospital", "Interventional Radiology"]:
        assert part in text, part
    # risks as words and numbers, with the source cited
    assert "Uncommon: about 1 in 150 [" in text
    assert "Hulme PA" in text


@pytest.mark.parametrize("procedure", PROCEDURES)
def test_aftercare_sheet_content(run, patient, out_dir, procedure):
    path = make(run, patient, out_dir, "aftercare", procedure=procedure)
    text = flat(" ".join(pages_text(path)))
    # the procedure's name is lower case mid-sentence
    assert "On 20 November 2026 you had a " + procedure + "." in text
    assert "After your " + procedure + ": going home" in text
    for part in ["lay flat on your back", "Nurses watched you", "usual things again", "up to 3 months",
                 "new weakness or numbness in your legs", "control your bladder or bowels",
                 "chest pain", "short of breath", "red, hot or swollen",
                 "sudden, bad new back pain", "Phone 999", "01632 960 000", "01632 960 001",
                 "Follow-up and who to call"]:
        assert part in text, part


def test_markup_in_patient_text_prints_literally(run, patient, out_dir):
    path = make(run, patient, out_dir, "consent", family_name="O'Neil <b>&</b>",
                given_name='"Jo" & <i>Co</i>', clinician="Dr <script>x</script>")
    text = flat(pages_text(path)[0])
    assert "O'Neil <b>&</b>" in text
    assert '"Jo" & <i>Co</i>' in text
    assert "Dr <script>x</script>" in text


@pytest.mark.parametrize("name", ["Zoë Łukasiewicz-Nguyễn", "Siobhán Ó Briain", "Nguyễn Thị Minh Khai",
                                  "Αλέξανδρος Παπαδόπουλος", "Анна Кузнецова"])
def test_unicode_names_print_exactly(run, patient, out_dir, name):
    given, family = name.split(" ", 1)
    path = make(run, patient, out_dir, "aftercare", given_name=given, family_name=family)
    for text in pages_text(path):
        assert f"{family}, {given}" in text
        assert "\x00" not in text


def test_fonts_are_embedded_and_metadata_set(run, patient, out_dir):
    path = make(run, patient, out_dir, "consent", given_name="Anna", family_name="Кузнецова")
    reader = pypdf.PdfReader(str(path))
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            fonts[font["/BaseFont"]] = "/FontFile2" in descendant["/FontDescriptor"].get_object()
    assert fonts and all(fonts.values()), fonts
    assert any("Atkinson" in name for name in fonts)
    assert any("DejaVu" in name for name in fonts)  # Cyrillic drawn with the fallback font
    meta = reader.metadata
    assert meta.title == "Consent form: Vertebroplasty: Anna Кузнецова"
    assert meta.author == "Example General Hospital, Interventional Radiology"
    assert "TEST-0001" in meta.subject


def test_same_input_gives_byte_identical_pdf(run, patient, tmp_path):
    first = make(run, patient, tmp_path / "a", "consent")
    second = make(run, patient, tmp_path / "b", "consent")
    assert first.read_bytes() == second.read_bytes()


def test_existing_file_is_not_overwritten_without_force(run, patient, out_dir):
    path = make(run, patient, out_dir, "consent")
    path.write_bytes(b"kept")
    result = run("consent", patient(), "-o", out_dir)
    assert result.exit_code == 1
    assert "already exists" in result.stderr and "--force" in result.stderr
    assert path.read_bytes() == b"kept"
    assert run("consent", patient(), "-o", out_dir, "--force").exit_code == 0
    assert path.read_bytes().startswith(b"%PDF")


def test_output_is_readable_by_its_owner_only_and_leaves_no_temp_files(run, patient, out_dir):
    path = make(run, patient, out_dir, "aftercare")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert os.listdir(out_dir) == [path.name]


def test_path_traversal_mrn_stays_inside_the_output_folder(run, patient, out_dir, tmp_path):
    path = make(run, patient, out_dir, "consent", mrn="../../etc/passwd")
    assert path.parent == out_dir
    assert list(tmp_path.rglob("*.pdf")) == [path]
    assert "MRN ../../etc/passwd" in pages_text(path)[0]


def test_default_output_folder(run, patient, tmp_path):
    result = run("consent", patient())
    assert result.exit_code == 0
    assert (tmp_path / "output" / "TEST-0001_consent_vertebroplasty.pdf").is_file()


@pytest.mark.parametrize(("fields", "expected"), [
    ({"mrn": None}, "patient.yaml: mrn: missing"),
    ({"date_of_birth": "02/03/1941"}, "patient.yaml: date_of_birth: is not a date written YYYY-MM-DD"),
    ({"levels": "S1"}, "patient.yaml: levels: item 1 not a vertebra (C1-C7, T1-T12, L1-L5)"),
    ({"procedure": "fusion"}, "patient.yaml: procedure: not a known procedure (known: vertebroplasty, kyphoplasty)"),
    ({"comorbidities": "cpod"}, "patient.yaml: comorbidities: item 1 not a known comorbidity"),
    ({"clinician": None}, "patient.yaml: clinician: missing"),
])
def test_bad_record_is_one_clear_line_exit_1_and_no_pdf(run, patient, out_dir, fields, expected):
    result = run("consent", patient(**fields), "-o", out_dir)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0]
    assert "Traceback" not in result.output
    assert not out_dir.exists() or not list(out_dir.iterdir())


def test_aftercare_needs_a_procedure_date(run, patient, out_dir):
    result = run("aftercare", patient(procedure_date=None), "-o", out_dir)
    assert result.exit_code == 1 and "procedure_date: missing" in result.stderr


@pytest.mark.parametrize(("content", "name", "expected"), [
    (None, "missing.yaml", "missing.yaml: no such file"),
    ("mrn: [", "broken.yaml", "broken.yaml: not valid YAML"),
    ('{"mrn": ', "broken.json", "broken.json: not valid JSON"),
    ("just text", "text.yaml", "expected field: value pairs"),
])
def test_unreadable_input_is_exit_2_without_traceback(run, tmp_path, content, name, expected):
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    result = run("consent", path)
    assert result.exit_code == 2
    assert expected in result.stderr and "Traceback" not in result.output


def test_json_patient_file_works(run, tmp_path, out_dir):
    import json

    from conftest import BASE_PATIENT
    path = tmp_path / "p.json"
    path.write_text(json.dumps(BASE_PATIENT))
    assert run("consent", path, "-o", out_dir).exit_code == 0


def test_shipped_example_patient_prints(run, out_dir):
    from docgen import resources
    result = run("consent", resources.examples() / "patient.yaml", "-o", out_dir)
    assert result.exit_code == 0, result.output
    assert "O'Neil, Zoë" in pages_text(out_dir / "EX-100234_consent_kyphoplasty.pdf")[0]


def test_document_id_depends_on_content_not_on_where_the_file_is(run, patient, tmp_path):
    first = make(run, patient, tmp_path / "a", "consent")
    moved = run("consent", patient("elsewhere.yaml"), "-o", tmp_path / "b")
    changed = run("consent", patient("changed.yaml", levels="L2"), "-o", tmp_path / "c")
    ids = []
    for path in (first, tmp_path / "b" / first.name, tmp_path / "c" / first.name):
        footer = flat(pages_text(path)[0])
        ids.append(footer.split("Document ")[1].split()[0])
    assert moved.exit_code == changed.exit_code == 0
    assert ids[0] == ids[1] != ids[2]
