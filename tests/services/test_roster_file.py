"""Reading and checking MIS exports, with no database: encodings, header rows, column
names, year groups, UPNs, and the row-by-row messages a school office sees."""

from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata

import pytest
from fixtures.admin import *  # noqa: F403 (the admin tests' fixtures)
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.errors import InvalidInput
from kiosk.services import pupils, roster_check, roster_columns, roster_file
from kiosk.services.roster_columns import Field
from kiosk.services.roster_file import _UTF8_LETTER, decode_text

TODAY = dt.date(2025, 9, 3)


def checked(data: bytes) -> roster_check.CheckedRoster:
    table = roster_file.read_roster(data)
    return roster_check.check(table, roster_columns.ROSTER.detect(table.headers), today=TODAY)


def by_upn(result: roster_check.CheckedRoster) -> dict[str, pupils.PupilRecord]:
    return {record.upn: record for _line, record in result.records}


def test_a_sims_export_with_bom_and_crlf_reads_every_pupil_and_name(data):
    result = checked(data("sims_bom_crlf.csv"))
    assert result.table.encoding == "UTF-8 with BOM"
    assert result.table.headers[0] == "Adno"  # the BOM is not part of the first header
    assert not result.errors and not result.warnings
    pupils = by_upn(result)
    assert len(pupils) == 10
    assert pupils["W886401213100"].surname == "O'Brien"
    assert pupils["W886401213100"].legal_forename == "Siobhán"
    assert pupils["K886401213101"].surname == "Nguyễn"
    assert pupils["K886401213101"].preferred_forename is None  # same as the legal forename
    assert pupils["Z886401213102"].preferred_forename == "Ollie"
    assert pupils["Z886401213102"].surname == "Fitzgerald-Hughes"
    assert pupils["N886401214104"].surname == (
        "Wolfeschlegelsteinhausenbergerdorff-Featherstonehaugh"
    )
    assert pupils["W886401213100"].admission_number == "001201"  # leading zeros kept
    assert pupils["W886401213100"].date_of_birth == dt.date(2014, 2, 14)
    assert [pupils[u].year_group for u in ("F886401215108", "V886401215109")] == [12, 13]


def test_sims_preferred_surname_is_read_beside_the_legal_one(data):
    result = checked(data("sims_bom_crlf.csv"))
    mapping = dict(zip(result.table.headers, result.columns, strict=True))
    assert mapping["Legal Surname"] == Field.SURNAME
    assert mapping["Preferred Surname"] == Field.PREFERRED_SURNAME
    assert mapping["Gender"] is None
    # The same as the legal surname in every row of this file: nothing extra is stored.
    assert all(record.preferred_surname is None for record in by_upn(result).values())


def test_a_different_preferred_surname_is_kept_and_the_legal_one_too():
    data = (
        b"UPN,Adno,Legal Forename,Legal Surname,Preferred Surname,Year,Reg\r\n"
        b"W886401213100,1,Ava,Smith,Jones,7,7A\r\n"
    )
    record = by_upn(checked(data))["W886401213100"]
    assert (record.surname, record.preferred_surname) == ("Smith", "Jones")


@pytest.mark.parametrize(
    ("year", "form", "words"),
    [
        ("14", "7B", "beyond sixth form"),
        ("8", "7B", "the form's name says Year 7"),
        ("Year 10", "Y9C", "the form's name says Year 9"),
    ],
)
def test_a_year_that_does_not_fit_the_form_is_a_warning(year, form, words):
    data = f"UPN,Adno,Forename,Surname,Year,Reg\r\nW886401213100,1,Ava,Smith,{year},{form}\r\n"
    result = checked(data.encode())
    assert not result.errors
    assert any(words in problem.message for problem in result.warnings)


def test_a_year_that_fits_its_form_gives_no_warning():
    data = b"UPN,Adno,Forename,Surname,Year,Reg\r\nW886401213100,1,Ava,Smith,Year 7,7B\r\n"
    assert checked(data).warnings == []


def test_an_arbor_export_with_title_rows_and_other_header_names_is_understood(data):
    result = checked(data("arbor_title_rows.csv"))
    assert result.table.header_line == 4  # title, date and blank line above it
    mapping = dict(zip(result.table.headers, result.columns, strict=True))
    assert mapping == {
        "Student UPN": Field.UPN,
        "Admission Number": Field.ADMISSION_NUMBER,
        "Legal First Name": Field.LEGAL_FORENAME,
        "Preferred First Name": Field.PREFERRED_FORENAME,
        "Legal Last Name": Field.SURNAME,
        "Year Group": Field.YEAR_GROUP,
        "Registration Form": Field.REG_GROUP,
        "Date Of Birth": Field.DATE_OF_BIRTH,
        "Address": None,
    }
    assert not result.errors
    pupils = by_upn(result)
    assert len(pupils) == 6  # blank lines and trailing empty columns are ignored
    assert pupils["F886401215110"].preferred_forename == "Millie"
    assert pupils["F886401215110"].year_group == 7  # "Y7"
    assert pupils["V886401215111"].year_group == 8  # "Yr 8"
    assert pupils["J886401216113"].surname == "Kowalczyk"  # row with a quoted, commaed address
    assert pupils["M886401216115"].year_group == 12


def test_the_data_rows_keep_the_line_numbers_a_spreadsheet_shows(data):
    result = checked(data("arbor_title_rows.csv"))
    assert [line for line, _record in result.records] == [5, 6, 8, 9, 10, 11]


def test_a_windows_1252_export_keeps_accents_and_curly_apostrophes(data):
    raw = data("bromcom_cp1252.csv")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # really is Windows-1252, not UTF-8
    result = checked(raw)
    assert result.table.encoding == "Windows-1252"
    assert not result.errors
    pupils = by_upn(result)
    assert (pupils["M886401217116"].legal_forename, pupils["M886401217116"].surname) == (
        "Zoë",
        "O'Brien",
    )
    assert pupils["B886401217117"].surname == "O’Connor"
    assert pupils["B886401217117"].legal_forename == "Chloé"
    assert pupils["Q886401217118"].year_group == 0  # "R": reception
    assert pupils["Q886401217118"].preferred_forename == "Shiv"
    assert pupils["E886401217119"].surname == "Lefèvre-Dubois"
    assert pupils["E886401217119"].date_of_birth == dt.date(2008, 2, 29)


def test_a_semicolon_export_with_excel_text_cells_and_decomposed_accents(data):
    result = checked(data("semicolon_excel.csv"))
    assert result.table.delimiter == ";"
    assert not result.errors
    pupils = by_upn(result)
    minh = pupils["H886401221300"]
    assert minh.admission_number == "000731"  # ="000731" as Excel writes it
    assert minh.legal_forename == "Minh"  # no-break spaces trimmed
    assert minh.surname == "Nguyễn"
    assert unicodedata.is_normalized("NFC", minh.surname)  # stored composed, as typed
    assert pupils["X886401221301"].surname == "Dvořáková"
    assert pupils["X886401221301"].year_group == 8  # "Year 08"


def test_every_problem_in_a_bad_file_is_reported_with_its_line(data):
    result = checked(data("errors.csv"))
    messages = [problem.describe() for problem in result.errors]
    assert messages == [
        "Line 2: UPN K886401220200 is also on line 5.",
        "Line 3: Surname is missing.",
        "Line 4: Year group 'Y7x' is not a year: use a number (7, Year 7, Y7), R or N.",
        "Line 5: UPN K886401220200 is also on line 2.",
        "Line 6: UPN 'K12345' is not valid: it is a letter and 12 more characters.",
        "Line 7: Date of birth '31/02/2014' is not a date like 31/01/2012.",
        "Line 8: Surname is '#N/A', a spreadsheet error, not a value.",
    ]
    assert [line for line, _record in result.records] == [9]  # the only clean row


def test_utf16_as_excel_saves_unicode_text_is_read_too():
    text = "UPN\tAdno\tForename\tSurname\tYear\tForm\nK886401213101\t1\tThảo\tNguyễn\t7\t7B\n"
    result = checked(b"\xff\xfe" + text.encode("utf-16-le"))
    assert result.table.delimiter == "\t"
    assert by_upn(result)["K886401213101"].surname == "Nguyễn"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\r\n\r\n", "empty"),
        (b"PK\x03\x04\x14\x00\x06\x00", "Excel workbook"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text"),
    ],
)
def test_files_that_are_not_csv_exports_are_refused_in_plain_words(data, message):
    with pytest.raises(InvalidInput, match=message):
        roster_file.read_roster(data)


def test_a_header_with_no_pupils_is_a_problem_not_a_crash():
    result = checked(b"UPN,Adno,Forename,Surname,Year,Reg\r\n")
    assert [p.message for p in result.errors] == ["The file has a header row but no pupils."]


def test_a_file_without_a_recognised_header_asks_for_the_columns_to_be_chosen():
    result = checked(b"K886401213101,1,Thao,Nguyen,7,7B\n")
    assert result.table.header_line is None
    assert result.table.headers[:2] == ("Column 1", "Column 2")
    assert "No column is chosen as UPN." in [p.message for p in result.errors]
    assert not result.records


def test_choosing_columns_by_hand_makes_a_headerless_file_importable():
    table = roster_file.read_roster(b"K886401213101,1,Thao,Nguyen,7,7B\n")
    columns = roster_columns.ROSTER.detect(table.headers)
    fields = ["upn", "admission_number", "legal_forename", "surname", "year", "form"]
    for number, name in enumerate(fields, start=1):
        columns = roster_columns.remap(
            columns,
            roster_columns.find_column(table.headers, str(number)),
            roster_columns.ROSTER.parse(name),
        )
    result = roster_check.check(table, columns, today=TODAY)
    assert not result.errors
    assert by_upn(result)["K886401213101"].reg_group == "7B"


def test_choosing_a_field_for_a_column_takes_it_away_from_the_column_that_had_it(data):
    table = roster_file.read_roster(data("sims_bom_crlf.csv"))
    columns = roster_columns.ROSTER.detect(table.headers)
    preferred_surname = roster_columns.find_column(table.headers, "preferred surname")
    changed = roster_columns.remap(columns, preferred_surname, Field.SURNAME)
    assert changed.count(Field.SURNAME) == 1
    assert changed[preferred_surname] == Field.SURNAME
    assert changed[roster_columns.find_column(table.headers, "Legal Surname")] is None


def test_two_columns_chosen_for_one_field_is_reported():
    headers = ("UPN", "Adno", "Forename", "Surname", "Year", "Reg")
    columns = (*roster_columns.ROSTER.detect(headers)[:5], Field.YEAR_GROUP)
    problems = [p.message for p in roster_check.mapping_problems(headers, columns)]
    assert "'Year' and 'Reg' are both chosen as Year group." in problems
    assert "No column is chosen as Registration group." in problems


def test_unknown_field_and_column_names_are_refused_with_the_choices():
    with pytest.raises(InvalidInput, match="surname"):
        roster_columns.ROSTER.parse("shoe size")
    with pytest.raises(InvalidInput, match="Adno"):
        roster_columns.find_column(("Adno", "UPN"), "Gender")


@pytest.mark.parametrize(
    ("text", "year"),
    [
        ("7", 7),
        ("07", 7),
        ("Year 7", 7),
        ("year 7", 7),
        ("Y7", 7),
        ("Yr 7", 7),
        ("Yr07", 7),
        ("NC Year 9", 9),
        ("Year 12", 12),
        ("13", 13),
        ("Y13", 13),
        ("L6", 12),
        ("Upper Sixth", 13),
        ("R", 0),
        ("Reception", 0),
        ("YR", 0),
        ("Year R", 0),
        ("N", -1),
        ("Nursery", -1),
        ("N1", -2),
        ("1", 1),
    ],
)
def test_year_groups_are_read_the_ways_schools_write_them(text, year):
    assert roster_check.parse_year_group(text) == year


@pytest.mark.parametrize("text", ["Y7x", "Year", "15", "7.5", "Year 7B", "seven", "-1", "7/8"])
def test_other_year_group_texts_are_refused(text):
    assert roster_check.parse_year_group(text) is None


def test_upn_check_letters_follow_the_dfe_rule():
    assert roster_check.upn_check_letter("B801200005001") == "B"
    assert roster_check.upn_check_letter("A801200005001") == "B"  # only the last 12 count
    # a temporary UPN ends in a letter, counted as its place in the UPN alphabet
    temporary = "801200005" + "00A"
    assert (
        roster_check.upn_check_letter("?" + temporary)
        == roster_check.UPN_LETTERS[
            sum(w * (0 if c == "A" else int(c)) for w, c in enumerate(temporary, start=2)) % 23
        ]
    )


def test_a_wrong_check_letter_is_a_warning_not_an_error():
    result = checked(b"UPN,Adno,Forename,Surname,Year,Reg\nA801200005001,9,Ava,Adams,7,7A\n")
    assert not result.errors
    assert [p.describe() for p in result.warnings] == [
        "Line 2: UPN A801200005001 has the wrong check letter: please check it in the MIS."
    ]
    assert len(result.records) == 1


def test_dates_of_birth_in_uk_and_iso_forms_and_impossible_ones():
    assert roster_check.parse_date("01/09/2013") == dt.date(2013, 9, 1)
    assert roster_check.parse_date("2013-09-01") == dt.date(2013, 9, 1)
    assert roster_check.parse_date("2013-09-01 00:00:00") == dt.date(2013, 9, 1)
    assert roster_check.parse_date("1 Sep 2013") == dt.date(2013, 9, 1)
    assert roster_check.parse_date("09/31/2013") is None  # no US dates
    future = checked(
        b"UPN,Adno,Forename,Surname,Year,Reg,DOB\nB801200005001,9,A,B,7,7A,01/01/2030\n"
    )
    assert [p.message for p in future.errors] == ["Date of birth '01/01/2030' is in the future."]


def test_duplicate_admission_numbers_are_errors_on_both_lines():
    text = (
        "UPN,Adno,Forename,Surname,Year,Reg\n"
        "B801200005001,77,Ava,Adams,7,7A\n"
        "W886401213100,77,Leo,Lane,7,7A\n"
    )
    result = checked(text.encode())
    assert [p.describe() for p in result.errors] == [
        "Line 2: Admission number 77 is also on line 3.",
        "Line 3: Admission number 77 is also on line 2.",
    ]
    assert not result.records


def test_names_longer_than_the_database_holds_are_errors():
    long = "A" * 101
    result = checked(
        f"UPN,Adno,Forename,Surname,Year,Reg\nB801200005001,9,Ava,{long},7,7A\n".encode()
    )
    assert [p.message for p in result.errors] == ["Surname is longer than 100 characters."]


NAME_CHARS = st.characters(
    categories=("Lu", "Ll", "Mn"), include_characters=" '-’.", exclude_characters="\x00"
)


@settings(max_examples=60, deadline=None)
@given(
    surname=st.text(NAME_CHARS, min_size=1, max_size=60).filter(
        lambda s: any(c.isalpha() for c in s)
    ),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
    newline=st.sampled_from(["\n", "\r\n"]),
)
def test_any_name_survives_a_csv_written_by_a_spreadsheet(surname, encoding, newline):
    expected = " ".join(unicodedata.normalize("NFC", surname).split())
    if not any(c.isalpha() for c in expected):
        return
    try:
        expected.encode(encoding)
    except UnicodeEncodeError:
        return  # Windows-1252 cannot hold it: such a file could not exist
    if encoding == "cp1252" and _utf8_letters_too(expected):
        return  # "ÄŠ" is C4 8A, UTF-8's "Ċ": no reader can tell; UTF-8 is the likelier
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator=newline)
    writer.writerow(["UPN", "Adno", "Forename", "Surname", "Year", "Reg"])
    writer.writerow(["B801200005001", "9", "Ava", surname, "Year 7", "7A"])
    data = out.getvalue().encode(encoding)
    if encoding == "cp1252" and _UTF8_LETTER.search(data):
        # "µÃŸ": B5 is no UTF-8, C3 9F is UTF-8's "ß": a file mixing encodings, or this
        # name? Either the name, or a refusal in words: never "µÃŸ" read wrongly.
        try:
            result = checked(data)
        except InvalidInput as refused:
            assert "a mix of text encodings" in str(refused)
            return
    else:
        result = checked(data)
    assert [r.surname for _line, r in result.records] == [expected]


def _utf8_letters_too(text: str) -> bool:
    """Whether ``text`` in Windows-1252 is also UTF-8 for other text with no control
    characters."""
    try:
        other = text.encode("cp1252").decode("utf-8")
    except UnicodeDecodeError:
        return False
    return other != text and not any("\x80" <= c <= "\x9f" for c in other)


@pytest.mark.parametrize("surname", ["ÂŸ", "Â€", "ÂŸ-Jones", "µÂŸ"])
def test_a_windows_1252_name_whose_bytes_are_valid_utf8_by_chance_is_read_as_typed(surname):
    """Found by the test above: "ÂŸ" in Windows-1252 is C2 9F, which is UTF-8 for a
    control character; the name was refused instead of read."""
    data = f"UPN,Adno,Forename,Surname,Year,Reg\nB801200005001,9,Ava,{surname},7,7A\n"
    result = checked(data.encode("cp1252"))
    assert [r.surname for _line, r in result.records] == [surname]
    assert decode_text(data.encode("utf-8")) == (data, "UTF-8")


def test_a_utf8_file_with_one_stray_byte_is_refused_with_its_line_not_mangled():
    rows = ["UPN,Adno,Forename,Surname,Year,Reg"]
    rows += [f"A80120000{n:04d},{n},Zoë,Brontë,7,7A" for n in range(1, 47)]
    data = "\r\n".join(rows).encode("utf-8") + b"\r\nA801200009999,99,Chlo\xe9,Smith,7,7A\r\n"
    with pytest.raises(InvalidInput, match=r"Line 48 .*not UTF-8"):
        roster_file.read_roster(data)


def test_a_cell_over_the_csv_size_limit_is_refused_in_words():
    data = (
        b"UPN,Adno,Forename,Surname,Year,Reg\r\nA801200000001,1,Ava,"
        + b"x" * 200_000
        + b",7,7A\r\n"
    )
    with pytest.raises(InvalidInput, match=r"Line 2 .*far too long"):
        roster_file.read_roster(data)
