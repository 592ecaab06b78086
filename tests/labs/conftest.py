"""Fixtures shared by the labs' tests."""

import pytest

from tests.factories import lab_from_content


@pytest.fixture
def lab():
    """The primeiro-conteiner lab, synced from content/ (modules with a lab of their own
    define `lab` themselves)."""
    return lab_from_content("primeiro-conteiner")


@pytest.fixture
def no_tasks(monkeypatch):
    """Submissions are created, their grading is never sent."""
    from labs import tasks

    monkeypatch.setattr(tasks.grade_submission, "apply_async", lambda *a, **k: None)
