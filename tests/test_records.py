"""records: every field of the input contract is validated, and every problem is named."""

from datetime import date, timedelta

import pytest

from docgen.errors import InputFileError, RecordError
from docgen.input.records import Vocabulary, parse_case, read_record_file

VOCAB = Vocabulary(
    indications=("osteoporosis", "metastasis", "myeloma", "hemangioma", "trauma"),
    comorbidities=("copd", "severe_lung_disease", "anticoagulants"),
    languages=("en",),
)
GOOD = {
    "mrn": "A1",
    "given_name": "Ada",
    "family_name": "Example",
    "date_of_birth": "1941-03-02",
    "procedure": "kyphoplasty",
    "levels": "L1;T12",
    "clinician": "Dr X",
    "procedure_date": "2026-11-20",
}


def parse(document="consent", **changes):
    raw = {k: v for k, v in {**GOOD, **changes}.items() if v is not None}
    return parse_case(raw, document=document, vocabulary=VOCAB, source="p.yaml")


def problems(document="consent", **changes):
    with pytest.raises(RecordError) as caught:
        parse(document, **changes)
    return {(p.field, p.reason) for p in caught.value.problems}


def test_good_record_gives_a_case_with_levels_in_spine_order():
    case = parse()
    assert case.levels == ("T12", "L1")
    assert case.indication == "osteoporosis"
    assert case.date_of_birth == date(1941, 3, 2)
    assert case.large_print is False


@pytest.mark.parametrize("field", ["mrn", "given_name", "family_name", "date_of_birth",
                                   "procedure", "levels", "clinician"])
def test_each_required_field_missing_is_named(field):
    fields = {f for f, _ in problems(**{field: None})}
    assert fields == {field}


def test_blank_text_counts_as_missing():
    assert ("given_name", "missing") in problems(given_name="   ")


def test_procedure_date_is_required_for_aftercare_only():
    assert parse("consent", procedure_date=None).procedure_date is None
    assert ("procedure_date", "missing") in problems("aftercare", procedure_date=None)
    assert parse("aftercare", clinician=None).clinician is None


@pytest.mark.parametrize("value", ["02/03/1941", "1941-3-2", "19410302", "yesterday"])
def test_dates_must_be_iso(value):
    assert any(f == "date_of_birth" and "YYYY-MM-DD" in r for f, r in problems(date_of_birth=value))


def test_impossible_date_is_refused():
    assert any("not a real date" in r for _, r in problems(date_of_birth="1941-02-30"))


def test_date_of_birth_must_be_in_the_past():
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    assert any(f == "date_of_birth" for f, _ in problems(date_of_birth=tomorrow))


def test_procedure_before_birth_is_refused():
    assert any(f == "procedure_date" and "before the date of birth" in r
               for f, r in problems(procedure_date="1930-01-01"))


@pytest.mark.parametrize("levels", ["S1", "T13", "L6", "C0", "T12;X"])
def test_levels_must_be_vertebrae(levels):
    assert any(f == "levels" and "not a vertebra" in r for f, r in problems(levels=levels))


def test_level_listed_twice_is_refused():
    assert any(f == "levels" for f, _ in problems(levels="L1;l1"))


def test_unknown_procedure_lists_known_ones():
    (field, reason), = problems(procedure="cementoplasty")
    assert field == "procedure" and "vertebroplasty" in reason and "kyphoplasty" in reason


def test_typo_comorbidity_is_an_error_listing_known_ones():
    (field, reason), = problems(comorbidities="copd;cpod")
    assert field == "comorbidities" and "item 2" in reason and "copd" in reason
    assert "cpod" not in reason  # the cell's text never reaches the terminal


def test_unknown_indication_is_an_error():
    assert any(f == "indication" for f, _ in problems(indication="fracture"))


def test_unknown_field_in_a_patient_file_is_an_error():
    assert any(f == "comorbidites" for f, _ in problems(comorbidites="copd"))


def test_control_characters_are_refused():
    assert any(f == "family_name" for f, _ in problems(family_name="Smith\x00"))


def test_all_problems_are_reported_at_once():
    found = problems(mrn=None, levels="S1", procedure="x")
    assert {f for f, _ in found} == {"mrn", "levels", "procedure"}


def test_large_print_yes_no():
    assert parse(large_print="yes").large_print is True
    assert parse(large_print=True).large_print is True
    assert any(f == "large_print" for f, _ in problems(large_print="maybe"))


def test_error_message_names_file_and_field():
    with pytest.raises(RecordError) as caught:
        parse(levels="S1")
    assert str(caught.value.message).startswith("p.yaml: levels:")


def test_reading_yaml_json_and_bad_files(tmp_path):
    (tmp_path / "a.json").write_text('{"mrn": "1"}')
    assert read_record_file(tmp_path / "a.json") == {"mrn": "1"}
    (tmp_path / "bad.yaml").write_text("mrn: [unclosed")
    with pytest.raises(InputFileError, match="bad.yaml: not valid YAML"):
        read_record_file(tmp_path / "bad.yaml")
    (tmp_path / "list.yaml").write_text("- 1\n- 2\n")
    with pytest.raises(InputFileError, match="expected field: value pairs"):
        read_record_file(tmp_path / "list.yaml")
    with pytest.raises(InputFileError, match="no such file"):
        read_record_file(tmp_path / "missing.yaml")
    (tmp_path / "latin1.yaml").write_bytes("given_name: Zo\xeb".encode("latin-1"))
    with pytest.raises(InputFileError, match="cannot be read"):
        read_record_file(tmp_path / "latin1.yaml")
