"""In a browser, on the demo data: the main pages work under the Content-Security-Policy and the
browser reports no violation (tally grid with an htmx save, filing pages and the printable
report, the dashboard with its chart, a summary document); and without a browser, the printable
documents carry the nonce their <style> needs."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from centers.demo import DEMO_PASSWORD
from conftest import browser_login
from reporting.models import Summary

# Collects violations in every document the page opens (injected by Playwright, not by the app).
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI || "inline"} ${e.sourceFile}:${e.lineNumber}`);
});
"""


@pytest.fixture
def demo():
    call_command("load_demo", force=True, stdout=io.StringIO())


class Watched:
    """A signed-in browser page that remembers every CSP complaint, from events and console."""

    def __init__(self, browser, live_server, username: str):
        self.context = browser.new_context(base_url=live_server.url, locale="zh-CN")
        self.context.set_default_timeout(15_000)
        self.context.add_init_script(WATCH)
        self.page = self.context.new_page()
        self.console: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.console.append(f"page error: {exc}"))
        browser_login(self.page, username, DEMO_PASSWORD)
        self.page.wait_for_url(lambda url: "/accounts/login/" not in url)
        self.assert_clean("login")

    def _console(self, message) -> None:
        if re.search(r"Content.Security.Policy|Refused to", message.text):
            self.console.append(message.text)

    def visit(self, url: str) -> None:
        response = self.page.goto(url)
        assert response is not None and response.status == 200, url
        self.page.wait_for_load_state("load")

    def assert_clean(self, where: str) -> None:
        found = self.page.evaluate("window.__csp || []") + self.console
        assert found == [], f"{where}: {found}"

    def close(self) -> None:
        self.context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_centre_pages_report_no_csp_violation(browser, live_server, demo):
    watched = Watched(browser, live_server, "manager")
    page = watched.page
    today = timezone.localdate()
    watched.visit(f"/centres/ciqikou/tallies/{today.year}/medical/")
    cell = page.locator(f"#cell-opd_visits-{today:%Y-%m} input")
    cell.fill("150")
    cell.press("Enter")  # saved by htmx: its request, swap and settle run under the policy
    page.locator(f"#cell-opd_visits-{today:%Y-%m}.is-saved").wait_for()
    watched.assert_clean("tally grid")
    for url in (
        "/centres/ciqikou/filings/2024/",
        "/centres/ciqikou/filings/2025/",
        "/centres/ciqikou/filings/2024/report/",
        "/centres/ciqikou/",
        "/centres/ciqikou/staff/",
    ):
        watched.visit(url)
        watched.assert_clean(url)
    # The printable report's button prints without an inline handler.
    watched.visit("/centres/ciqikou/filings/2024/report/")
    page.evaluate("window.print = () => { window.__printed = true; }")
    page.get_by_role("button", name="打印").click()
    assert page.evaluate("window.__printed === true")
    watched.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_dashboard_chart_and_summary_report_no_csp_violation(browser, live_server, demo):
    watched = Watched(browser, live_server, "reviewer")
    watched.visit("/authorities/shapingba/dashboard/?year=2024&part=h1")
    drawn = "() => typeof Chart !== 'undefined' && !!Chart.getChart('trend-chart')"
    watched.page.wait_for_function(drawn)
    watched.assert_clean("dashboard")
    summary = Summary.objects.get(authority__slug="shapingba")
    for url in (
        reverse("reporting:authority-summary", args=["shapingba", summary.pk]),
        reverse("reporting:authority-summary-document", args=["shapingba", summary.pk]),
        "/authorities/shapingba/filings/2024/",
    ):
        watched.visit(url)
        watched.assert_clean(url)
    watched.close()


@pytest.mark.django_db
def test_printable_documents_style_with_the_requests_nonce(client, manager, centre):
    from reporting.models import AnnualFiling

    AnnualFiling.objects.create(centre=centre, year=2024)
    summary = Summary.objects.create(
        centre=centre, kind="half", first="2024-01-01", last="2024-06-01", title="总结"
    )
    client.force_login(manager)
    for url in (
        reverse("reporting:filing-report", args=[centre.slug, 2024]),
        reverse("reporting:centre-summary-document", args=[centre.slug, summary.pk]),
    ):
        response = client.get(url)
        policy = response["Content-Security-Policy"]
        nonce = re.search(r"style-src [^;]*'nonce-([^']+)'", policy).group(1)
        body = response.content.decode()
        assert f'<style nonce="{nonce}">' in body and "onclick" not in body
