"""Steps the browser tests share."""

from tests.factories import PASSWORD


def log_in(page, live_server, username: str, next_url: str = "/") -> None:
    """Log in through the login page (in whichever language the browser asks for), landing on
    `next_url` once it has loaded."""
    page.goto(f"{live_server.url}/contas/login/?next={next_url}")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    # Until the new page has loaded, htmx may not have wired its triggers yet: a field
    # filled before that sends no autosave.
    with page.expect_navigation(wait_until="load"):
        page.locator("main button[type=submit]").click()
