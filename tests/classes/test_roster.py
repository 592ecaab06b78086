"""The roster CSV reader (classes.roster.parse_roster): what spreadsheets save, and every
problem reported by its line."""

import pytest
from django.utils import translation

from classes.roster import RosterRow, parse_roster


@pytest.fixture(autouse=True)
def english():
    """The messages are checked in English (the pages' Portuguese is checked by the view tests)."""
    with translation.override("en"):
        yield


def lines(result):
    return [(p.line, p.message) for p in result.problems]


def test_reads_a_libreoffice_csv_with_english_headers():
    result = parse_roster(b"name,username,email\nAna Souza,ana,Ana@Escola.example\nBruno Lima,,bruno@escola.example\n")
    assert result.ok
    assert result.delimiter == ","
    assert result.rows == [
        RosterRow(line=2, name="Ana Souza", username="ana", email="ana@escola.example"),
        RosterRow(line=3, name="Bruno Lima", username="", email="bruno@escola.example"),
    ]


def test_reads_a_pt_br_excel_csv_in_windows_1252_with_semicolons():
    data = "Nome;Usuário;E-mail\r\nJoão Conceição;joao;joao@escola.example\r\n".encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    result = parse_roster(data)
    assert result.ok and result.encoding == "cp1252" and result.delimiter == ";"
    assert result.rows == [RosterRow(line=2, name="João Conceição", username="joao", email="joao@escola.example")]


def test_a_utf8_bom_is_not_part_of_the_first_header():
    result = parse_roster("\ufeffnome;email\nMárcia;marcia@escola.example\n".encode())
    assert result.ok and result.encoding == "utf-8"
    assert result.rows[0].name == "Márcia"


def test_every_bad_row_is_reported_with_its_line_at_once():
    data = (
        "nome,usuario,email\n"
        "Ana,ana,ana@escola.example\n"  # 2: fine
        ",beto,beto@escola.example\n"  # 3: no name
        "Carla,,\n"  # 4: neither user name nor e-mail
        "Davi,davi,davi-at-escola\n"  # 5: bad e-mail
        "\n"  # 6: blank, skipped
        "Eva,ANA,eva@escola.example\n"  # 7: same user name as line 2 (case aside)
        "Fábio,fabio,ana@escola.example\n"  # 8: same e-mail as line 2
        "Gil,gil da silva,gil@escola.example\n"  # 9: a space in the user name
        f"{'H' * 151},hugo,hugo@escola.example\n"  # 10: name too long
    ).encode()
    result = parse_roster(data)
    assert not result.ok
    assert [line for line, _ in lines(result)] == [3, 4, 5, 7, 8, 9, 10]
    messages = dict(lines(result))
    assert "name is missing" in messages[3]
    assert "user name or an e-mail" in messages[4]
    assert "davi-at-escola" in messages[5]
    assert "line 2" in messages[7] and "line 2" in messages[8]
    assert "no spaces" in messages[9]
    assert "150" in messages[10]
    assert [row.line for row in result.rows] == [2]


def test_a_quoted_cell_over_two_lines_keeps_the_next_rows_line_numbers():
    data = b'nome,email\n"Ana\nSouza",ana@escola.example\nBeto,not-an-email\n'
    result = parse_roster(data)
    assert lines(result) == [(4, "not-an-email is not a valid e-mail address.")]


def test_the_header_must_name_a_name_and_a_login_column():
    result = parse_roster(b"aluno,matricula\nAna,123\n")
    assert len(result.problems) == 1 and result.problems[0].line == 1
    assert "aluno" in result.problems[0].message


def test_too_many_rows_is_one_clear_problem():
    data = "nome,email\n" + "".join(f"P{i},p{i}@escola.example\n" for i in range(6))
    result = parse_roster(data.encode(), max_rows=5)
    assert not result.rows
    assert len(result.problems) == 1 and "more than 5" in result.problems[0].message


def test_too_large_a_file_is_refused_unread():
    result = parse_roster(b"nome,email\n" + b"x" * 100, max_bytes=50)
    assert len(result.problems) == 1 and result.problems[0].line == 0 and "MB" in result.problems[0].message


@pytest.mark.parametrize(
    "data",
    [b"", b"\n\n  \n", b"PK\x03\x04\x00\x00binary", b"nome;email\n"],
    ids=["empty", "blank", "binary", "header-only"],
)
def test_a_file_with_no_one_in_it_is_a_problem(data):
    result = parse_roster(data)
    assert not result.ok and not result.rows
