"""The login page in a real browser, at phone size."""
from __future__ import annotations

from ..conftest import PASSWORD
from .conftest import new_page, screenshot


def test_login_in_browser(browser, live_server, console_errors):
    page = new_page(browser, console_errors)
    page.goto(f"{live_server}/login")
    screenshot(page, "login-phone")
    page.fill("input[name=username]", "t-secretary")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/communities/**")
    assert "甲社区" in page.content()
    assert console_errors == []
