"""`manage.py selftest_labs` in CI: every shipped lab against the real sandbox daemon."""

import pytest
from django.core.management import call_command

from labs.content import lab_dirs

pytestmark = pytest.mark.docker


@pytest.mark.parametrize("slug", [d.name for d in lab_dirs()])
def test_lab_reference_and_known_bad_cases(slug, sandbox_docker, capsys):
    call_command("selftest_labs", slug)
    out = capsys.readouterr().out
    assert "FAIL" not in out
    assert f"ok   {slug:<20} reference" in out
