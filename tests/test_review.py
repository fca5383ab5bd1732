"""`docgen review`: the clinical lead's review pack, read back from the PDF."""

import re
import shutil

import pypdf
import pytest
from conftest import flat, pages_text

from docgen import resources
from docgen.content.catalogue import load_catalogue

CATALOGUE = load_catalogue(resources.default_risks())


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    from click.testing import CliRunner

    from docgen.cli import main

    path = tmp_path_factory.mktemp("review") / "out" / "review.pdf"
    result = CliRunner().invoke(main, ["review", "-o", str(path)])
    assert result.exit_code == 0, result.output
    assert "pages)" in result.stdout
    return path, flat(" ".join(pages_text(path)))


def test_the_pack_says_honestly_that_nobody_has_reviewed_the_content(pack):
    _, text = pack
    assert "Content review pack: Example General Hospital" in text
    assert "The shipped content has had no clinical review." in text
    assert "Approval for Example General Hospital: not recorded." in text


def test_every_procedure_and_indication_has_its_benefit_statement(pack):
    _, text = pack
    for procedure in ("Vertebroplasty", "Kyphoplasty"):
        for indication in CATALOGUE.indications:
            assert f"{procedure}, {indication}" in text
    assert "did little or no better" in text and "[sources: hulme2006, buchbinder2018]" in text


def test_every_risk_with_each_figure_what_was_counted_and_its_full_source(pack):
    _, text = pack
    for risk in CATALOGUE.risks:
        assert f"{risk.title['en']} ({risk.id})" in text
        for item in risk.likelihood.values():
            assert flat(item.counted["en"]) in text
    for source_id, citation in CATALOGUE.sources.items():
        assert source_id in text
        doi = re.search(r"doi:\S+", citation)
        if doi:
            assert doi.group(0).rstrip(").") in text


def test_every_rule_with_when_and_what_it_does(pack):
    _, text = pack
    for rule in CATALOGUE.rules:
        assert rule.id in text
    assert "REFUSES the form unless a clinician overrides with a reason" in text
    assert "when overridden, the patient reads:" in text
    assert "lung-disease-level-promise many-levels-lungs" in text  # a contradiction pair


def test_reading_grades_controls_and_sign_off(pack):
    path, text = pack
    assert "Patient texts of both documents, with reading grades" in text
    assert "templates/consent.rml.j2" in text and "templates/aftercare.rml.j2" in text
    assert " OVER " not in text  # no patient text above grade 8
    assert "Document control" in text and "NO CLINICAL REVIEW YET" in text
    last = flat(pages_text(path)[-1])
    for field in ("Name", "Role", "Date", "Signature"):
        assert field in last
    pages = len(pypdf.PdfReader(str(path)).pages)
    assert f"page {pages} of {pages}" in last


def test_a_site_that_records_approval_loses_the_example_note(tmp_path, run, patient, out_dir):
    templates = shutil.copytree(resources.default_templates(), tmp_path / "templates")
    site = templates / "site.yaml"
    site.write_text(site.read_text() + "content_approval:\n  approved_by: \"Dr A Lead\"\n"
                    "  approved_on: 2026-11-23\n")
    result = run("consent", patient(), "-o", out_dir, "--templates", templates)
    assert result.exit_code == 0, result.output
    text = flat(" ".join(pages_text(out_dir / result.stdout.strip().split("/")[-1])))
    assert "not yet approved" not in text
    from docgen import check

    report = check.Report()
    check._site(report, templates)
    assert "Content approved for Example General Hospital by Dr A Lead on 2026-11-23" in report.lines


def test_check_reports_the_missing_approval(run):
    result = run("check")
    assert "no content_approval recorded" in result.output
    assert "Example content, not yet approved by Example General Hospital" in result.output
