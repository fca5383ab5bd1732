"""Document control and `docgen check`, each case in a copy of the shipped templates/ and risks/."""

import csv
import re
import shutil

import pytest
from conftest import BASE_PATIENT, flat, pages_text

from docgen import resources

DRAFT = "DRAFT - NOT FOR CLINICAL USE"
DRAFT_ES = "BORRADOR - NO APTO PARA USO CLÍNICO"


@pytest.fixture
def content(tmp_path):
    """Copies of the shipped templates/ and risks/, and the options that point at them."""
    templates = shutil.copytree(resources.default_templates(), tmp_path / "templates")
    risks = shutil.copytree(resources.default_risks(), tmp_path / "risks")
    return {
        "templates": templates,
        "risks": risks,
        "args": ["--templates", str(templates), "--risks", str(risks)],
    }


def edit(path, old, new, count=1):
    """Replace the first `count` occurrences of `old` in a file; fail loudly if it is not there."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def set_status(folder, file, status):
    edit(folder / file, "status: approved", f"status: {status}")


def set_expired(folder, file):
    edit(folder / file, "approved_on: 2026-11-23", "approved_on: 2019-01-01")
    edit(
        folder / file,
        re.search(r"review_due: (\S+)", (folder / file).read_text()).group(0),
        "review_due: 2020-01-01",
    )


# (which folder, file, how it is made unfit, what the refusal must name)
UNFIT = [
    ("templates", "consent.rml.j2", "draft", "templates/consent.rml.j2 is draft"),
    ("templates", "_page.rml.j2", "draft", "templates/_page.rml.j2 is draft"),
    ("templates", "_blocks.rml.j2", "retired", "templates/_blocks.rml.j2 is retired"),
    ("risks", "bleeding.yaml", "retired", "risks/bleeding.yaml is retired"),
    ("risks", "catalogue.yaml", "draft", "risks/catalogue.yaml is draft"),
    ("risks", "rules.yaml", "expired", "risks/rules.yaml was due for review on 2020-01-01"),
    (
        "templates",
        "consent.rml.j2",
        "expired",
        "templates/consent.rml.j2 was due for review on 2020-01-01",
    ),
    ("risks", "infection.yaml", "expired", "risks/infection.yaml was due for review on 2020-01-01"),
]


def make_unfit(content, folder, file, how):
    if how == "expired":
        set_expired(content[folder], file)
    else:
        set_status(content[folder], file, how)


@pytest.mark.parametrize(("folder", "file", "how", "named"), UNFIT)
def test_unfit_content_is_refused_naming_the_item(
    run, patient, out_dir, content, folder, file, how, named
):
    make_unfit(content, folder, file, how)
    result = run("consent", patient(), "-o", out_dir, *content["args"])
    assert result.exit_code == 1
    message = flat(result.output)
    assert named in message
    assert "not approved for patients" in message and "--allow-draft" in message
    assert not out_dir.exists() or not list(out_dir.glob("*.pdf"))


# The aftercare sheet does not use the consent template.
DRAFT_CASES = [
    (*case, document)
    for case in UNFIT
    for document in ("consent", "aftercare")
    if not (case[1] == "consent.rml.j2" and document == "aftercare")
]


@pytest.mark.parametrize(("folder", "file", "how", "named", "document"), DRAFT_CASES)
def test_allow_draft_prints_the_mark_on_every_page(
    run, patient, out_dir, content, folder, file, how, named, document
):
    make_unfit(content, folder, file, how)
    result = run(document, patient(), "-o", out_dir, "--allow-draft", *content["args"])
    assert result.exit_code == 0, result.output
    pages = pages_text(out_dir / result.stdout.strip().splitlines()[-1].split("/")[-1])
    assert len(pages) >= 2
    for text in pages:
        assert DRAFT in flat(text)


def test_allow_draft_in_large_print_and_spanish(run, patient, out_dir, content):
    set_status(content["risks"], "bleeding.yaml", "draft")
    result = run(
        "consent",
        patient(language="es", large_print="yes"),
        "-o",
        out_dir,
        "--allow-draft",
        *content["args"],
    )
    assert result.exit_code == 0, result.output
    pages = pages_text(out_dir / result.stdout.strip().splitlines()[-1].split("/")[-1])
    assert all(DRAFT_ES in flat(text) for text in pages)


def test_approved_content_carries_no_draft_mark(run, patient, out_dir):
    result = run("consent", patient(), "-o", out_dir)
    assert result.exit_code == 0, result.output
    pages = pages_text(out_dir / result.stdout.strip().splitlines()[-1].split("/")[-1])
    assert not any(DRAFT in text for text in pages)


def test_unreviewed_translation_refuses_only_that_language(run, patient, out_dir, content):
    """The Spanish translation has its own document control: a draft refuses Spanish only."""
    set_status(content["templates"], "locale/es/control.yaml", "draft")
    refused = run("aftercare", patient(language="es"), "-o", out_dir, *content["args"])
    assert refused.exit_code == 1
    assert "templates/locale/es (translation) is draft" in flat(refused.output)
    english = run("aftercare", patient(), "-o", out_dir, *content["args"])
    assert english.exit_code == 0, english.output


def test_catalogue_translation_past_review_is_refused(run, patient, out_dir, content):
    edit(content["risks"] / "catalogue.yaml", "review_due: 2027-05-23", "review_due: 2020-01-01")
    refused = run("consent", patient(language="es"), "-o", out_dir, *content["args"])
    assert refused.exit_code == 1
    assert "risks/catalogue.yaml (es translation) was due for review on 2020-01-01" in flat(
        refused.output
    )


# ---- docgen check ----------------------------------------------------------------------------


def check(run, content):
    return run("check", *content["args"])


def test_check_passes_on_shipped_content(run):
    result = run("check")
    assert result.exit_code == 0, result.output
    assert "docgen check: all content valid" in result.output


def test_check_reports_a_reading_grade_per_item(run, content):
    result = check(run, content)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    for item in [
        "risks/bleeding.yaml: explanation",
        "risks/catalogue.yaml: statements.benefit_default",
        "risks/rules.yaml: rules.anticoagulants-bleeding.sentences.before[0]",
        "templates/consent.rml.j2:",
        "templates/aftercare.rml.j2:",
        "templates/_blocks.rml.j2:",
    ]:
        graded = [line for line in lines if item in line]
        assert graded, item
        assert all(re.search(r"grade +-?\d+\.\d", line) for line in graded)
    # one long word scores grade 32: short labels are shown, not held to the limit
    assert re.search(r"grade +\d+\.\d +label, not graded +templates/aftercare.rml.j2:\d+: Emergency",
                     result.output)
    assert "Rendered 32 sample documents" in result.output


def test_check_fails_on_a_broken_template(run, content):
    edit(
        content["templates"] / "aftercare.rml.j2", "{% block story %}", "{% block story %}{% if %}"
    )
    result = check(run, content)
    assert result.exit_code == 1
    assert "aftercare.rml.j2: line" in result.output


def test_check_fails_on_unknown_rml_markup(run, content):
    edit(content["templates"] / "consent.rml.j2", '<para style="body">', '<paragraf style="body">')
    result = check(run, content)
    assert result.exit_code == 1
    assert "consent" in result.output and "paragraf" in result.output


def test_check_fails_on_a_missing_template_control_block(run, content):
    path = content["templates"] / "_blocks.rml.j2"
    path.write_text(path.read_text(encoding="utf-8").split("---#}\n", 1)[1], encoding="utf-8")
    result = check(run, content)
    assert result.exit_code == 1
    assert "_blocks.rml.j2: missing the document-control block" in result.output


def test_check_fails_on_a_new_message_without_translation(run, content):
    edit(
        content["templates"] / "aftercare.rml.j2",
        '{{ blocks.heading(_("Pain")) }}',
        '{{ blocks.heading(_("Pain")) }}\n'
        '  <para style="body">{{ _("Drink plenty of water.") }}</para>',
    )
    result = check(run, content)
    assert result.exit_code == 1
    assert "no 'es' translation for 'Drink plenty of water.' (aftercare.rml.j2:" in flat(
        result.output
    )


def test_check_fails_on_an_emptied_translation(run, content):
    po = content["templates"] / "locale/es/LC_MESSAGES/docgen.po"
    edit(po, 'msgstr "Riesgos"', 'msgstr ""')
    result = check(run, content)
    assert result.exit_code == 1
    out = flat(result.output)
    assert "no 'es' translation for 'Risks'" in out
    assert "docgen.mo: out of date with docgen.po" in out


def test_check_fails_on_a_stale_compiled_catalogue(run, content):
    po = content["templates"] / "locale/es/LC_MESSAGES/docgen.po"
    edit(po, 'msgstr "Riesgos"', 'msgstr "Los riesgos"')
    result = check(run, content)
    assert result.exit_code == 1
    assert "docgen.mo: out of date with docgen.po; run `docgen messages`" in flat(result.output)


def test_check_fails_on_a_missing_catalogue_translation(run, content):
    edit(content["risks"] / "infection.yaml", '  es: "Infección"\n', "")
    result = check(run, content)
    assert result.exit_code == 1
    assert "infection.yaml: title.es: missing text" in flat(result.output)


@pytest.mark.parametrize(
    ("folder", "file"),
    [
        ("risks", "infection.yaml"),
        ("templates", "_page.rml.j2"),
        ("templates", "locale/es/control.yaml"),
    ],
)
def test_check_fails_on_an_expired_review_date(run, content, folder, file):
    set_expired(content[folder], file)
    result = check(run, content)
    assert result.exit_code == 1
    assert "was due for review on 2020-01-01: not fit to give to patients" in flat(result.output)


def test_check_fails_on_draft_content(run, content):
    set_status(content["risks"], "rules.yaml", "draft")
    result = check(run, content)
    assert result.exit_code == 1
    assert "risks/rules.yaml is draft: not fit to give to patients" in flat(result.output)


def test_check_fails_on_a_missing_control_field(run, content):
    edit(content["risks"] / "bleeding.yaml", "approved_by:", "approver:")
    result = check(run, content)
    assert result.exit_code == 1
    assert "bleeding.yaml: approved_by: missing (document control)" in flat(result.output)


def test_check_fails_on_over_grade_catalogue_text(run, content):
    hard = (
        "Percutaneous vertebral augmentation necessitates fluoroscopically guided "
        "transpedicular cannulation with subsequent polymethylmethacrylate instillation."
    )
    edit(content["risks"] / "bleeding.yaml", "Any needle can cause bleeding.", hard)
    result = check(run, content)
    assert result.exit_code == 1
    out = flat(result.output)
    assert re.search(
        r"risks/bleeding.yaml: explanation: English text is at grade \d+(\.\d)?, over grade 8", out
    )


def test_check_fails_on_over_grade_template_text(run, content):
    po = content["templates"] / "locale/es/LC_MESSAGES/docgen.po"
    old = "Write down any questions you want to ask."
    hard = "Documentation of supplementary interrogatives necessitates comprehensive consideration."
    edit(content["templates"] / "consent.rml.j2", old, hard)
    edit(po, f'msgid "{old}"', f'msgid "{hard}"')  # translated, so only the grade is wrong
    result = check(run, content)
    assert result.exit_code == 1
    out = flat(result.output)
    assert re.search(
        r"templates/consent.rml.j2:\d+: English text is at grade \d+(\.\d)?, over grade 8", out
    )
    assert "no 'es' translation" not in out


def test_batch_refuses_only_the_rows_in_an_unreviewed_language(run, tmp_path, out_dir, content):
    """In a list, a draft Spanish translation refuses the Spanish rows; English rows still print."""
    set_status(content["templates"], "locale/es/control.yaml", "draft")
    rows = [{**BASE_PATIENT, "mrn": "EN-1", "language": "en"},
            {**BASE_PATIENT, "mrn": "ES-1", "language": "es"}]
    table = tmp_path / "list.csv"
    with table.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    result = run("batch", table, "--document", "aftercare", "-o", out_dir, *content["args"])
    assert result.exit_code == 1
    written = sorted(p.name for p in out_dir.glob("*.pdf"))
    assert written == ["EN-1_aftercare_vertebroplasty.pdf"]
    assert "templates/locale/es (translation) is draft" in flat(result.output)

    again = run("batch", table, "--document", "aftercare", "-o", out_dir, "--allow-draft",
                *content["args"])
    assert again.exit_code == 0, again.output
    spanish = pages_text(out_dir / "ES-1_aftercare_vertebroplasty.pdf")
    assert all(DRAFT_ES in flat(text) for text in spanish)
    assert not any(DRAFT in text for text in pages_text(out_dir / "EN-1_aftercare_vertebroplasty.pdf"))


def test_check_and_documents_report_a_corrupt_compiled_catalogue(run, patient, out_dir, content):
    (content["templates"] / "locale/es/LC_MESSAGES/docgen.mo").write_bytes(b"not a catalogue")
    result = check(run, content)
    assert result.exit_code == 1
    assert "docgen.mo: cannot be read" in flat(result.output)
    assert "Traceback" not in result.output
    refused = run("consent", patient(language="es"), "-o", out_dir, *content["args"])
    assert refused.exit_code == 2
    assert "docgen.mo: cannot be read as a compiled catalogue" in flat(refused.output)
