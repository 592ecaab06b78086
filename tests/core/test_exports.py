"""Grade tables as a teacher's spreadsheet opens them (.xlsx) and as scripts read them (CSV)."""

import csv
import io
import re
import zipfile
from datetime import UTC, datetime
from xml.etree import ElementTree

import pytest
from django.urls import reverse

from core.exports import Percent, csv_text, table_response
from labs.models import Submission
from tests.factories import UserFactory, default_class, lab_from_content, offering_of

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def read_xlsx(content: bytes) -> list[list[tuple[str, str]]]:
    """Each row's cells as (type, text): 'n' number, 's' text, 'f' a formula (never wanted)."""
    book = zipfile.ZipFile(io.BytesIO(content))
    strings = [
        "".join(t.text or "" for t in si.iter(f"{{{NS['m']}}}t"))
        for si in ElementTree.fromstring(book.read("xl/sharedStrings.xml")).findall("m:si", NS)
    ]
    sheet = ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml"))
    rows = []
    for row in sheet.iter(f"{{{NS['m']}}}row"):
        cells = []
        for cell in row.findall("m:c", NS):
            if cell.find("m:f", NS) is not None:
                cells.append(("f", cell.findtext("m:f", "", NS)))
            elif cell.get("t") == "s":
                cells.append(("s", strings[int(cell.findtext("m:v", "0", NS))]))
            else:
                cells.append(("n", cell.findtext("m:v", "", NS)))
        rows.append(cells)
    return rows


def test_csv_cells_keep_their_format_and_times_are_local():
    assert [csv_text(v) for v in (None, Percent(35.714), 85.0, 0.5, 3, "=1+1", "yes")] == [
        "",
        "35.7",
        "85",
        "0.5",
        3,
        "'=1+1",
        "yes",
    ]
    # The site's zone (America/Sao_Paulo by default), as the pages show times, with its offset.
    assert csv_text(datetime(2026, 12, 2, 13, 0, tzinfo=UTC)) == "2026-12-02T10:00:00-03:00"


def test_xlsx_has_numbers_as_numbers_dates_in_the_sites_zone_and_text_never_a_formula():
    header = ["username", "name", "grade (%)", "points", "when"]
    rows = [["ana", '=HYPERLINK("http://x","y")', Percent(35.714), 85.0, datetime(2026, 12, 2, 13, 0, tzinfo=UTC)]]
    response = table_response(stem="t", header=header, rows=rows, fmt="xlsx")
    assert response["Content-Disposition"] == 'attachment; filename="t.xlsx"'
    sheet = read_xlsx(response.content)
    assert sheet[0] == [("s", title) for title in header]
    kinds = [kind for kind, _ in sheet[1]]
    assert kinds == ["s", "s", "n", "n", "n"], sheet[1]
    assert sheet[1][1] == ("s", '=HYPERLINK("http://x","y")')
    assert float(sheet[1][2][1]) == pytest.approx(35.714) and float(sheet[1][3][1]) == 85
    # A spreadsheet date: days since 1899-12-30; 10:00 local is 10/24 of a day.
    assert float(sheet[1][4][1]) % 1 == pytest.approx(10 / 24)


@pytest.mark.django_db
def test_the_gradebook_states_units_and_downloads_as_a_spreadsheet(client, instructor):
    learner = UserFactory(username="learner-x", first_name="@SUM(1)")
    lab = lab_from_content("primeiro-conteiner")
    Submission.objects.create(
        learner=learner,
        lab=lab,
        offering=offering_of(lab),
        dockerfile="FROM x\n",
        status="passed",
        score=85,
        max_score=100,
        counted=True,
    )
    client.force_login(instructor)
    book = list(
        csv.reader(
            io.StringIO(client.get(reverse("quizzes:gradebook-csv", args=[default_class().pk])).content.decode())
        )
    )
    lab_column = next(title for title in book[0] if title.startswith("lab:primeiro-conteiner"))
    assert re.fullmatch(r"lab:primeiro-conteiner \(points of \d+\)", lab_column)
    assert all(title.endswith("(%)") for title in book[0] if title.startswith("quiz:"))
    sheet = read_xlsx(client.get(reverse("quizzes:gradebook-xlsx", args=[default_class().pk])).content)
    assert [text for _, text in sheet[0]] == book[0]
    mine = dict(zip([text for _, text in sheet[0]], sheet[1], strict=False))
    assert mine["username"] == ("s", "learner-x") and mine[lab_column] == ("n", "85")
    assert mine["name"] == ("s", "@SUM(1)")
    lab_sheet = read_xlsx(client.get(reverse("labs:scores-xlsx", args=[default_class().pk, lab.slug])).content)
    assert [text for _, text in lab_sheet[0]][:4] == ["username", "name", "best_score", "max_score"]
    assert lab_sheet[1][2] == ("n", "85") and lab_sheet[1][3][0] == "n"
