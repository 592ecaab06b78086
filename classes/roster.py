"""Reading a roster CSV: the file's bytes in, its rows and every problem found in them out,
each problem with its line number. No database and no side effect: what the rows mean for the
site's accounts (taken user names, shared e-mails) is services.roster_import's to decide.

What teachers actually upload: a spreadsheet saved as CSV, by LibreOffice (UTF-8, commas) or
by a pt-BR Excel (Windows-1252, semicolons, sometimes a BOM), with headers in Portuguese or
English."""

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 2000
# The User model's limits: first_name and username hold 150 characters, an e-mail 254.
MAX_NAME = 150
MAX_USERNAME = 150
MAX_EMAIL = 254

# Django's default username rule (UnicodeUsernameValidator): letters, digits and @ . + - _
USERNAME_PATTERN = re.compile(r"^[\w.@+-]+\Z")

COLUMNS = {
    "name": {"name", "nome", "nome completo", "full name"},
    "username": {"username", "user name", "usuario", "user", "login", "nome de usuario"},
    "email": {"email", "e-mail", "mail", "correio eletronico"},
}


@dataclass(frozen=True)
class RosterRow:
    line: int
    name: str
    username: str  # "" when the file gives none
    email: str  # lower-cased; "" when the file gives none


@dataclass(frozen=True)
class RosterProblem:
    line: int  # 0: the file as a whole
    message: str


@dataclass
class RosterFile:
    rows: list[RosterRow] = field(default_factory=list)
    problems: list[RosterProblem] = field(default_factory=list)
    encoding: str = ""
    delimiter: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems


def _header_key(cell: str) -> str:
    """A header cell as compared with COLUMNS: accents, case, spaces and underscores aside."""
    text = unicodedata.normalize("NFKD", cell.strip().lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.replace("_", " ").split())


def _column_of(cell: str) -> str | None:
    key = _header_key(cell)
    for column, names in COLUMNS.items():
        if key in names:
            return column
    return None


def decode(data: bytes) -> tuple[str, str] | None:
    """The text and its encoding: UTF-8 (a BOM is dropped), else Windows-1252, the encoding a
    pt-BR Excel saves CSV in. None when it is neither (a spreadsheet's binary file, say)."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return None


def _delimiter(header_line: str) -> str:
    # The header names columns, and no column name has a comma or a semicolon in it: the one
    # it holds more of separates them.
    return ";" if header_line.count(";") > header_line.count(",") else ","


def parse_roster(data: bytes, *, max_rows: int = MAX_ROWS, max_bytes: int = MAX_BYTES) -> RosterFile:
    """Every row and every problem of a roster file. A row needs a name, and a user name or an
    e-mail; the file's first non-empty line names its columns."""
    result = RosterFile()
    if len(data) > max_bytes:
        result.problems.append(
            RosterProblem(
                0,
                _("The file is larger than %(mb)s MB. Split it into smaller files.")
                % {"mb": max_bytes // (1024 * 1024)},
            )
        )
        return result
    decoded = decode(data)
    if decoded is None:
        result.problems.append(
            RosterProblem(0, _("The file is not text in UTF-8 or Windows-1252. Save it from the spreadsheet as CSV."))
        )
        return result
    text, result.encoding = decoded
    if "\x00" in text:
        result.problems.append(RosterProblem(0, _("The file is not a CSV file. Save it from the spreadsheet as CSV.")))
        return result
    body = text.lstrip()
    if not body:
        result.problems.append(RosterProblem(0, _("The file is empty.")))
        return result
    header_line = text[: len(text) - len(body)].count("\n") + 1
    result.delimiter = _delimiter(body.split("\n", 1)[0])
    reader = csv.reader(io.StringIO(body), delimiter=result.delimiter)
    try:
        header = next(reader)
    except csv.Error as exc:
        result.problems.append(RosterProblem(header_line, _("The line cannot be read: %(error)s") % {"error": exc}))
        return result
    columns: dict[str, int] = {}
    for index, cell in enumerate(header):
        column = _column_of(cell)
        if column is not None and column not in columns:
            columns[column] = index
    if "name" not in columns or ("username" not in columns and "email" not in columns):
        result.problems.append(
            RosterProblem(
                header_line,
                _(
                    "The first line must name the columns: name (or nome), and username (or usuário) "
                    "or e-mail. It has: %(cells)s."
                )
                % {"cells": ", ".join(c.strip() for c in header if c.strip())[:200] or "—"},
            )
        )
        return result
    _read_rows(reader, columns, header_line, result, max_rows)
    if not result.rows and not result.problems:
        result.problems.append(RosterProblem(0, _("The file has no one in it: only its header line.")))
    return result


def _read_rows(reader, columns: dict[str, int], header_line: int, result: RosterFile, max_rows: int) -> None:
    seen_usernames: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    count = 0
    line = header_line + reader.line_num  # where the next record starts (a quoted cell may span lines)
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            result.problems.append(RosterProblem(line, _("The line cannot be read: %(error)s") % {"error": exc}))
            break
        start, line = line, header_line + reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        count += 1
        if count > max_rows:
            result.problems.append(
                RosterProblem(
                    start,
                    _("The file has more than %(max)s people. Split it into smaller files.") % {"max": max_rows},
                )
            )
            result.rows.clear()
            del result.problems[:-1]
            return
        name = " ".join(_cell(cells, columns, "name").split())
        username = _cell(cells, columns, "username")
        email = _cell(cells, columns, "email").lower()
        problems = _row_problems(name, username, email)
        if username:
            key = username.lower()
            if key in seen_usernames:
                problems.append(
                    _("The user name %(username)s is also on line %(line)s.")
                    % {"username": username, "line": seen_usernames[key]}
                )
            else:
                seen_usernames[key] = start
        if email:
            if email in seen_emails:
                problems.append(
                    _("The e-mail %(email)s is also on line %(line)s.") % {"email": email, "line": seen_emails[email]}
                )
            else:
                seen_emails[email] = start
        result.problems.extend(RosterProblem(start, message) for message in problems)
        if not problems:
            result.rows.append(RosterRow(line=start, name=name, username=username, email=email))


def _cell(cells: list[str], columns: dict[str, int], column: str) -> str:
    index = columns.get(column)
    return cells[index].strip() if index is not None and index < len(cells) else ""


def _row_problems(name: str, username: str, email: str) -> list[str]:
    problems = []
    if not name:
        problems.append(_("The name is missing."))
    elif len(name) > MAX_NAME:
        problems.append(_("The name is longer than %(max)s characters.") % {"max": MAX_NAME})
    if not username and not email:
        problems.append(_("Give a user name or an e-mail."))
    if username:
        if len(username) > MAX_USERNAME:
            problems.append(_("The user name is longer than %(max)s characters.") % {"max": MAX_USERNAME})
        elif not USERNAME_PATTERN.match(username):
            problems.append(
                _("The user name %(username)s may only have letters, digits and @ . + - _ (no spaces).")
                % {"username": username}
            )
    if email:
        if len(email) > MAX_EMAIL:
            problems.append(_("The e-mail is longer than %(max)s characters.") % {"max": MAX_EMAIL})
        else:
            try:
                validate_email(email)
            except ValidationError:
                problems.append(_("%(email)s is not a valid e-mail address.") % {"email": email})
    return problems
