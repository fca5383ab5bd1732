"""columns: a --columns map is read as written, and a map that would misfile a cell is caught."""

from __future__ import annotations

import pytest

from docgen.errors import ColumnError
from docgen.input.columns import load_column_map, resolve_columns
from docgen.input.tables import open_table

HEADER = "Id,First,Last,Born,procedure,levels,procedure_date,mrn\n"
ROW = "A1,Ada,Example,1941-03-02,kyphoplasty,L1,2026-11-20,OLD-1\n"


@pytest.fixture
def listing(tmp_path):
    path = tmp_path / "list.csv"
    path.write_text(HEADER + ROW)
    return open_table(path)


def write_map(tmp_path, text):
    path = tmp_path / "map.yaml"
    path.write_text(text)
    return path


def test_headers_keep_their_text(tmp_path):
    path = write_map(tmp_path, "mrn: 0012\ngiven_name: 1.50\n")
    assert load_column_map(path) == {"mrn": "0012", "given_name": "1.50"}


def test_two_fields_mapped_to_one_column_are_refused(tmp_path):
    path = write_map(tmp_path, "given_name: First\nfamily_name: first\n")
    with pytest.raises(ColumnError) as caught:
        load_column_map(path)
    assert caught.value.message == (f"{path}: given_name and family_name are mapped to the same column; "
                                    "each column can fill only one field")


def test_a_field_mapped_onto_another_fields_own_column_is_refused(tmp_path, listing):
    mapping = {"given_name": "procedure", "family_name": "Last", "date_of_birth": "Born"}
    with pytest.raises(ColumnError) as caught:
        resolve_columns(listing, "aftercare", mapping, {})
    assert "given_name and procedure would both be read from column 5" in caught.value.message


def test_a_column_named_for_a_field_that_the_map_takes_elsewhere_is_a_warning(tmp_path, listing):
    mapping = {"mrn": "Id", "given_name": "First", "family_name": "Last", "date_of_birth": "Born"}
    columns = resolve_columns(listing, "aftercare", mapping, {})
    assert columns.index["mrn"] == 0
    assert columns.warnings == (f"{listing.path}: column 'mrn' is ignored; the column map takes mrn "
                                "from column 'Id'",)
    assert columns.raw(next(iter(listing.rows()))[1])["mrn"] == "A1"


def test_a_repeated_header_is_named_by_position_never_by_its_text(tmp_path):
    path = tmp_path / "list.csv"
    path.write_text("Quillon Zebrowski,x,Quillon Zebrowski\n1,2,3\n")
    with pytest.raises(ColumnError) as caught:
        resolve_columns(open_table(path), "aftercare", {}, {})
    assert caught.value.message == f"{path}: row 1: columns 1 and 3 have the same header"


@pytest.mark.parametrize(("text", "reason"), [
    ("mrn: [Id]\n", "mrn: give the column header as text"),
    ("mrn: ''\n", "mrn: give the column header as text"),
    ("hospital_no: Id\n", "hospital_no: not a docgen field (known: mrn,"),
    ("- mrn\n", "not a readable YAML column map: expected field: value pairs, found a list"),
])
def test_a_bad_map_is_one_line_naming_the_field(tmp_path, text, reason):
    path = write_map(tmp_path, text)
    with pytest.raises(ColumnError) as caught:
        load_column_map(path)
    assert caught.value.message.startswith(f"{path}: {reason}")
