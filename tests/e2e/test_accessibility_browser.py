"""axe-core on every page a visitor, a learner, a teacher or a teaching assistant reaches, in both
languages, on a phone (390 px) and a laptop (1280 px): no serious or critical violation. axe-core
comes from the npm registry through scripts/axe.sh (pinned, integrity checked, cached); the report
of a failing run is written under var/axe/ and its path is in the assertion message."""

import json
import subprocess
import time
from pathlib import Path

import pytest
from django.urls import reverse

from .first_day import first_day
from .helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
REPORTS = ROOT / "var" / "axe"
BLOCKING = {"serious", "critical"}


@pytest.fixture(scope="session")
def axe_source() -> str:
    result = subprocess.run(["bash", str(ROOT / "scripts" / "axe.sh")], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        pytest.skip(f"axe-core not available (scripts/axe.sh): {result.stderr.strip()}")
    return Path(result.stdout.strip()).read_text(encoding="utf-8")


def audit(page, axe_source: str) -> list[dict]:
    """The serious and critical violations axe finds on the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source)
    results = page.evaluate("async () => await window.axe.run(document, {resultTypes: ['violations']})")
    return [v for v in results["violations"] if v["impact"] in BLOCKING]


def write_report(name: str, found: dict[str, list[dict]]) -> Path:
    REPORTS.mkdir(parents=True, exist_ok=True)
    path = REPORTS / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(found, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def summary(found: dict[str, list[dict]]) -> str:
    return "\n".join(
        f"  {where}: {v['id']} ({v['impact']}) {v['help']} — {', '.join(str(n['target']) for n in v['nodes'][:3])}"
        for where, violations in found.items()
        for v in violations
    )


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("locale", ["pt-BR", "en"])
def test_every_page_has_no_serious_accessibility_violation(browser, live_server, axe_source, locale, width):
    day = first_day()
    k = day.klass.pk
    visits: dict[str, list[str]] = {
        "": [reverse("home"), reverse("login"), reverse("signup"), reverse("password_reset")],
        "ana": [
            reverse("home"),
            reverse("classes:list"),
            reverse("classes:detail", args=[k]),
            reverse("classes:join-code", args=[day.klass.join_code]),
            reverse("quizzes:detail", args=[k, day.quiz.slug]),
            reverse("quizzes:result", args=[day.released_attempt.pk]),
            reverse("labs:detail", args=[k, day.lab.slug]),
            reverse("labs:submission", args=[day.submission.pk]),
        ],
        "carla": [
            reverse("quizzes:attempt", args=[day.open_attempt.pk]),
            reverse("quizzes:submit", args=[day.open_attempt.pk]),
        ],
        "prof": [
            reverse("home"),
            reverse("classes:list"),
            reverse("classes:detail", args=[k]),
            reverse("quizzes:review-queue", args=[k]),
            reverse("quizzes:review-answer", args=[day.essay.pk]),
            reverse("quizzes:stats", args=[k, day.quiz.slug]),
            reverse("labs:submissions", args=[k, day.lab.slug]),
            reverse("labs:similarity", args=[k, day.lab.slug]),
            reverse("quizzes:essay-similarity", args=[k, day.quiz.slug, day.essay.question_id]),
            reverse("labs:submission", args=[day.submission.pk]),
            reverse("operations"),
        ],
        "monica": [
            reverse("home"),
            reverse("quizzes:review-queue", args=[k]),
            reverse("labs:detail", args=[k, day.lab.slug]),
        ],
    }
    found: dict[str, list[dict]] = {}
    for username, paths in visits.items():
        context = browser.new_context(locale=locale, viewport={"width": width, "height": 844})
        page = context.new_page()
        page.set_default_timeout(15_000)
        if username:
            log_in(page, live_server, username)
        for path in paths:
            page.goto(live_server.url + path)
            page.wait_for_load_state("load")
            if violations := audit(page, axe_source):
                found[f"{username or 'visitor'} {path}"] = violations
        if username == "prof":
            # The release confirmation is the answer to a POST: reached through its button.
            page.goto(live_server.url + reverse("quizzes:review-queue", args=[k]))
            with page.expect_navigation():
                page.locator("form[action$='/revisao/liberar/'] button").first.click()
            if violations := audit(page, axe_source):
                found["prof release confirmation"] = violations
        context.close()
    if found:
        report = write_report(f"{locale}-{width}", found)
        pytest.fail(f"axe found serious or critical violations; report: {report}\n{summary(found)}")
