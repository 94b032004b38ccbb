"""Every page links the app's icon, and the icon files exist where the links point."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.urls import reverse


@pytest.mark.django_db
def test_pages_link_the_favicon_in_svg_and_ico(client, manager, centre):
    for user in (None, manager):  # the login page and a centre page (both extend base.html)
        if user:
            client.force_login(user)
        url = reverse("centers:centre-detail", args=[centre.slug]) if user else reverse("login")
        html = client.get(url).content.decode()
        links = re.findall(r'<link rel="icon" href="([^"]+)"', html)
        assert links == [static("img/favicon.ico"), static("img/favicon.svg")]


def test_the_favicon_files_exist_and_are_what_they_say():
    svg = finders.find("img/favicon.svg")
    ico = finders.find("img/favicon.ico")
    assert svg and ico
    with open(svg, encoding="utf-8") as f:
        assert f.read().startswith("<svg xmlns=")
    with open(ico, "rb") as f:
        assert f.read(4) == b"\x00\x00\x01\x00"  # the ICO header: reserved 0, type 1 (icon)


@pytest.mark.django_db
def test_favicon_ico_at_the_root_leads_to_the_icon(client):
    """The admin's pages do not link it: browsers then ask /favicon.ico, which must not 404."""
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == static("img/favicon.ico")
    assert client.post("/favicon.ico").status_code == 405
