"""Every page a signed-in role can open speaks Chinese: no English word left in what users see.

It walks the permission matrix's GET pages (and the forms its POST routes show on GET) as each
role that works in the app, over the matrix's fixture objects. It sits in reporting/tests
because that layer may import every app the matrix builds objects from.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from core.tests.test_permission_matrix import MATRIX, Route, expected_status, records
from services.models import Indicator, Rate

__all__ = ["records"]  # the matrix's fixture, re-exported so pytest finds it here

ROLES = ["manager", "clerk", "reviewer", "city_reviewer"]
# Attributes a person reads: tooltips, placeholders, screen-reader labels, image text.
VISIBLE_ATTRS = {"title", "placeholder", "aria-label", "alt"}
HIDDEN_TAGS = {"script", "style"}
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
ENGLISH = re.compile(r"[A-Za-z]{3,}")
ALLOWED = {
    # File formats and the programs that open them, named as users know them on buttons and
    # upload hints ("下载 PDF", "导出为 Excel", "Word 文档", "花名册（.xlsx）").
    "PDF",
    "Word",
    "Excel",
    "xlsx",
    "csv",
    "pdf",
    "CSV",
    "JPEG",
    "PNG",
    # Text encodings as export dialogs name them ("GB18030（GBK）", "UTF-8（带BOM）").
    "GBK",
    "UTF",
    "BOM",
    # 医院信息系统 as every office says it (the exports an import profile reads).
    "HIS",
    # A key on the keyboard, printed as on the key cap ("Tab 到下一格").
    "Tab",
}


class VisibleText(HTMLParser):
    """Collects text nodes outside <script>/<style> and the attributes a person reads."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in HIDDEN_TAGS:
            self._hidden += 1
        attrs = dict(attrs)
        self.parts += [v for k, v in attrs.items() if k in VISIBLE_ATTRS and v]
        # A button drawn from <input type=submit> shows its value.
        if tag == "input" and attrs.get("type") in {"submit", "button", "reset"}:
            self.parts.append(attrs.get("value") or "")

    def handle_startendtag(self, tag, attrs):
        if tag not in HIDDEN_TAGS:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag in HIDDEN_TAGS and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def english_words(html: str) -> set[str]:
    """The words with three or more Latin letters in a row in a page's visible text."""
    parser = VisibleText()
    parser.feed(html)
    text = " ".join(parser.parts)
    return {w for w in WORD.findall(text) if ENGLISH.search(w)}


def pages(role: str) -> list[Route]:
    """The matrix routes that show a page on GET to this role, or its 403 page."""
    return [
        r
        for r in MATRIX
        if (r.method == "GET" or r.form_page) and expected_status(r, role) in {"ok", "403"}
    ]


@pytest.mark.parametrize("role", ROLES)
def test_pages_show_no_english(client, role, users, centre, district, records):
    ctx = {**users, "centre": centre, "district": district, "records": records}
    # The fixtures' login names are data: the members page lists them as typed; so are the
    # indicator and rate codes the catalogue page lists (what imports and the API name).
    client.force_login(users[role])
    found = {}
    visits = [(r.name, reverse(r.name, kwargs=r.kwargs(ctx)), r) for r in pages(role)]
    codes = {*Indicator.objects.values_list("code", flat=True)}  # after the routes made theirs
    codes |= {*Rate.objects.values_list("code", flat=True)}
    allowed = ALLOWED | {user.username for user in users.values()} | codes
    visits.append(("404", "/no-such-page/", None))
    for name, url, route in visits:
        data = route.data(ctx) if route and route.method == "GET" else {}
        response = client.get(url, data)
        if response.status_code not in {200, 403, 404}:
            continue  # a redirect: its target is a page of its own in the matrix
        if not response["Content-Type"].startswith("text/html"):
            continue  # a download (PDF, Word, Excel) or JSON
        if words := english_words(response.content.decode()) - allowed:
            found[f"{name} ({url}, {response.status_code})"] = sorted(words)
    report = "\n".join(f"  {page}: {', '.join(words)}" for page, words in found.items())
    assert not found, f"English on pages seen by {role}:\n{report}"


def test_visible_text_skips_code_and_keeps_what_people_read():
    html = (
        "<html><head><style>.card { color: red }</style><script>let draft = 1;</script></head>"
        '<body class="page"><a href="/centres/x/" title="Open it">中心</a>'
        '<input name="year" placeholder="Year"><img src="logo.png" alt="Logo">'
        '<span aria-label="Close">×</span><input type="submit" value="Send">'
        "<p>已保存 opd_visits 12 kg</p></body></html>"
    )
    assert english_words(html) == {"Open", "Year", "Logo", "Close", "Send", "opd_visits"}
