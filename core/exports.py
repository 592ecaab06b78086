"""Tables instructors download: CSV for scripts, .xlsx for the spreadsheet a teacher opens.

The rows hold typed values (text, numbers, `Percent`, local or aware datetimes, None), and each
format writes them its own way: CSV as plain text with "." decimals and times in the site's
zone with their offset (what scripts parse); .xlsx as real numbers and dates, which a pt-BR
spreadsheet shows with its own decimal comma and date order, so nothing depends on the
program's locale, separator or encoding. Text a learner chose is never a formula in either:
CSV cells get `csv_safe`'s leading quote, .xlsx cells are written as strings.
"""

import csv
import io
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

import xlsxwriter
from django.http import HttpResponse
from django.utils import timezone

from common.csv_cells import csv_safe

Format = Literal["csv", "xlsx"]
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Percent(float):
    """A percentage: one decimal in CSV, a number with one decimal in .xlsx."""


def csv_text(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, Percent):
        return f"{value:.1f}"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    return csv_safe(value)


def table_response(*, stem: str, header: Sequence[str], rows: Sequence[Sequence[Any]], fmt: Format) -> HttpResponse:
    """The table as a download named `stem`.csv or `stem`.xlsx."""
    if fmt == "xlsx":
        response = HttpResponse(_xlsx(header, rows), content_type=XLSX_TYPE)
    else:
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(header)
        writer.writerows([[csv_text(cell) for cell in row] for row in rows])
        response = HttpResponse(text.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{stem}.{fmt}"'
    return response


def _xlsx(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    out = io.BytesIO()
    # In memory: nothing of a learner's lands in a temporary file.
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    sheet = book.add_worksheet()
    bold = book.add_format({"bold": True})
    one_decimal = book.add_format({"num_format": "0.0"})
    moment = book.add_format({"num_format": "dd/mm/yyyy hh:mm"})
    for column, title in enumerate(header):
        sheet.write_string(0, column, title, bold)
        sheet.set_column(column, column, max(10, min(40, len(title) + 2)))
    for line, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, bool):
                sheet.write_boolean(line, column, value)
            elif isinstance(value, Percent):
                sheet.write_number(line, column, value, one_decimal)
            elif isinstance(value, int | float):
                sheet.write_number(line, column, value)
            elif isinstance(value, datetime):
                local = timezone.localtime(value) if timezone.is_aware(value) else value
                sheet.write_datetime(line, column, local.replace(tzinfo=None), moment)
            else:
                sheet.write_string(line, column, str(value))
    sheet.freeze_panes(1, 0)
    book.close()
    return out.getvalue()
