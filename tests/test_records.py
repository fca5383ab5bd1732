"""records: every field of the input contract is validated, and every problem is named."""

from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import TODAY

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
    tomorrow = (date.fromisoformat(TODAY) + timedelta(days=1)).isoformat()
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


# --- values keep their text (issue 10.1) ---------------------------------------------------------

YAML_BASE = """given_name: Ada
family_name: Example
date_of_birth: 1941-03-02
procedure: kyphoplasty
levels: [T12, L1]
clinician: Dr X
procedure_date: 2026-11-20
"""


@pytest.mark.parametrize("written", ["0012345", "0x1F", "12:30:45", "1_000_000", "+12345", "1.50",
                                     ".NaN", ".inf", "1e3", "0o17", "true", "yes", "2020-01-01"])
def test_an_unquoted_mrn_prints_exactly_as_written(tmp_path, written):
    path = tmp_path / "p.yaml"
    path.write_text(f"mrn: {written}\n{YAML_BASE}")
    raw = read_record_file(path)
    assert raw["mrn"] == written
    case = parse_case(raw, document="consent", vocabulary=VOCAB, source=str(path))
    assert case.mrn == written


@pytest.mark.parametrize("written", ["1.50", "12345678901234567890123", "-0", "NaN", "1E400"])
def test_a_json_number_keeps_its_text(tmp_path, written):
    path = tmp_path / "p.json"
    path.write_text(f'{{"mrn": {written}, "given_name": "Ada"}}')
    assert read_record_file(path) == {"mrn": written, "given_name": "Ada"}


@pytest.mark.parametrize(("line", "reason"), [
    ("date_of_birth: 1950-02-30", "date_of_birth: is not a real date"),
    ("date_of_birth: 1950-02-03T10:00:00", "date_of_birth: is a date and time; write the date only"),
    ("date_of_birth: 1950-02-03 10:00", "date_of_birth: is a date and time; write the date only"),
    ("date_of_birth: 19500203", "date_of_birth: is not a date written YYYY-MM-DD"),
    ("procedure_date: 2026-13-01", "procedure_date: is not a real date"),
])
def test_impossible_dates_and_datetimes_are_one_line_errors(tmp_path, line, reason):
    path = tmp_path / "p.yaml"
    text = "mrn: A1\n" + "\n".join(
        kept for kept in YAML_BASE.splitlines() if not kept.startswith(line.split(":")[0]))
    path.write_text(f"{text}\n{line}\n")
    with pytest.raises(RecordError) as caught:
        parse_case(read_record_file(path), document="consent", vocabulary=VOCAB, source=str(path))
    assert caught.value.message == f"{path}: {reason}" or caught.value.message.startswith(f"{path}: {reason}")
    assert "\n" not in caught.value.message


@pytest.mark.parametrize(("text", "reason"), [
    ("mrn: &a A1\ngiven_name: *a\n", "line 1: uses a YAML anchor or alias"),
    ("mrn: A1\nmrn: A2\n", "line 2: field 'mrn' is given twice"),
    ("mrn: A1\n---\nmrn: A2\n", "line 2: holds more than one YAML document"),
    ("- A1\n", "expected field: value pairs, found a list"),
    ("", "expected field: value pairs, found nothing"),
    ("mrn: 'Quillon Zebrowski\n", "not valid YAML: "),
])
def test_yaml_that_could_change_a_value_is_refused(tmp_path, text, reason):
    path = tmp_path / "p.yaml"
    path.write_text(text)
    with pytest.raises(InputFileError) as caught:
        read_record_file(path)
    assert caught.value.message.startswith(f"{path}: {reason}")
    assert "Zebrowski" not in caught.value.message  # PyYAML's snippet of the file is not quoted


def test_null_and_empty_read_as_not_given_but_quoted_null_is_text(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("a: ~\nb:\nc: null\nd: 'null'\ne: \"~\"\n")
    assert read_record_file(path) == {"a": None, "b": None, "c": None, "d": "null", "e": "~"}


# --- no patient data on the terminal (issue 10.6) ------------------------------------------------

@pytest.mark.parametrize(("field", "value", "expected"), [
    ("procedure", "quillon zebrowski", "not a known procedure (known: vertebroplasty, kyphoplasty)"),
    ("levels", "T12;quillon zebrowski", "item 2 not a vertebra (C1-C7, T1-T12, L1-L5)"),
    ("comorbidities", "quillon zebrowski", "item 1 not a known comorbidity"),
    ("indication", "quillon zebrowski", "not a known indication (known: osteoporosis"),
    ("large_print", "quillon zebrowski", "is not yes or no"),
    ("date_of_birth", "quillon zebrowski", "is not a date written YYYY-MM-DD"),
    ("language", "quillon zebrowski", "not a known language (known: en)"),
])
def test_errors_name_field_and_what_is_expected_never_the_value(field, value, expected):
    with pytest.raises(RecordError) as caught:
        parse(**{field: value})
    (problem,) = caught.value.problems
    assert problem.field == field and problem.reason.startswith(expected)
    assert "quillon" not in caught.value.message.lower()
    assert problem.value == value  # kept for the private errors.csv only
    assert "quillon zebrowski" in problem.private_reason()


def test_the_catalogue_vocabulary_decides_procedures_and_vertebrae():
    narrow = Vocabulary(indications=VOCAB.indications, comorbidities=(), languages=("en",),
                        procedures=("kyphoplasty",), vertebrae=("T12", "L1", "L2"))
    case = parse_case({**GOOD, "levels": "L2;T12"}, document="consent", vocabulary=narrow, source="p")
    assert case.levels == ("T12", "L2")
    with pytest.raises(RecordError) as caught:
        parse_case({**GOOD, "procedure": "vertebroplasty", "levels": "C1"}, document="consent",
                   vocabulary=narrow, source="p")
    assert {p.reason for p in caught.value.problems} == {
        "not a known procedure (known: kyphoplasty)", "item 1 not a vertebra (T12, L1-L2)"}


def test_today_is_the_callers_choice():
    born = {"date_of_birth": "2030-01-01"}
    with pytest.raises(RecordError, match="is not in the past"):
        parse_case({**GOOD, **born}, document="consent", vocabulary=VOCAB, source="p",
                   today=date(2029, 1, 1))
    case = parse_case({**GOOD, **born, "procedure_date": None}, document="", vocabulary=VOCAB,
                      source="p", today=date(2040, 1, 1))
    assert case.date_of_birth == date(2030, 1, 1)


def test_schema_errors_carry_file_row_and_field():
    with pytest.raises(RecordError) as caught:
        parse_case({**GOOD, "mrn": "", "levels": "S1", "colour": "red"}, document="consent",
                   vocabulary=VOCAB, source="list.csv", row=7)
    found = [(p.source, p.row, p.field) for p in caught.value.problems]
    assert found == [("list.csv", 7, "colour"), ("list.csv", 7, "mrn"), ("list.csv", 7, "levels")]
    assert str(caught.value.problems[1]) == "list.csv: row 7: mrn: missing"


# --- JSON Schema export (issue 11.1) -------------------------------------------------------------

def test_exported_schemas_validate_every_shipped_file(tmp_path, run):
    import json

    import jsonschema

    from docgen.input.loading import load_mapping

    result = run("schema", "--out", tmp_path / "schemas")
    assert result.exit_code == 0
    root = Path(__file__).parent.parent
    shipped = {"record": [root / "examples" / "patient.yaml"],
               "site": [root / "templates" / "site.yaml"],
               "column-map": [root / "examples" / "synthea-columns.yaml"]}
    for name, files in shipped.items():
        schema = json.loads((tmp_path / "schemas" / f"{name}.schema.json").read_text())
        jsonschema.Draft202012Validator.check_schema(schema)
        validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
        for path in files:
            data = load_mapping(path.read_bytes(), path, "yaml")
            assert not list(validator.iter_errors(data)), path
        # A schema that cannot fail proves nothing: a stray field is caught.
        assert list(validator.iter_errors({**data, "no_such_field": "x"}))


def test_exported_record_schema_refuses_what_docgen_refuses():
    import jsonschema

    from docgen.schemas import json_schema

    validator = jsonschema.Draft202012Validator(json_schema("record"),
                                                format_checker=jsonschema.FormatChecker())
    good = {**GOOD}
    assert not list(validator.iter_errors(good))
    assert list(validator.iter_errors({k: v for k, v in good.items() if k != "mrn"}))
    assert list(validator.iter_errors({**good, "date_of_birth": "1950-02-30"}))
    assert list(validator.iter_errors({**good, "large_print": "maybe"}))


def test_a_batch_keeps_cell_text_off_the_terminal_but_in_the_private_error_report(tmp_path, run):
    import csv
    import stat

    listing = tmp_path / "list.csv"
    listing.write_text("mrn,given_name,family_name,date_of_birth,procedure,levels,procedure_date\n"
                       "A1,Ada,Example,1941-03-02,Quillon Zebrowski,L1,2026-11-20\n", encoding="utf-8")
    out = tmp_path / "out"
    result = run("batch", listing, "--document", "aftercare", "-o", out, "--jobs", "1")
    assert result.exit_code == 1
    assert result.stderr.strip() == (f"{listing}: row 2: procedure: not a known procedure "
                                     "(known: vertebroplasty, kyphoplasty)")
    report = out / "errors.csv"
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    with report.open(encoding="utf-8-sig", newline="") as handle:
        (row,) = list(csv.DictReader(handle))
    assert row["field"] == "procedure" and "'Quillon Zebrowski'" in row["reason"]
