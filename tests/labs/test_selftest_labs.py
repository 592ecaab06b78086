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


def test_a_known_bad_case_with_an_unknown_key_is_refused(tmp_path):
    """A typo in expected.yaml (must_fail: instead of not_passed:) must not quietly make
    the case check less than its author meant."""
    from labs.selftest import _expectations

    (tmp_path / "expected.yaml").write_text("status: failed\nnot_passed: [build]\nmust_fail: [http]\n")
    with pytest.raises(ValueError, match="must_fail"):
        _expectations(tmp_path)
