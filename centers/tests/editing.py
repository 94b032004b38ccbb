"""Helpers for stale-edit tests: two people open the same form, as their browsers would."""

from __future__ import annotations

import html
import re

from django.test import Client

STAMP_INPUT = re.compile(r'<input type="hidden" name="based_on" value="([^"]*)"')


def sessions(*users) -> list[Client]:
    """One logged-in browser per user."""
    clients = []
    for user in users:
        client = Client()
        client.force_login(user)
        clients.append(client)
    return clients


def rendered_stamp(body: str) -> str:
    """The `based_on` the page really renders (a template that forgets it fails here)."""
    found = STAMP_INPUT.findall(body)
    assert len(found) == 1, f"expected one based_on input, found {len(found)}"
    assert found[0], "the based_on input is empty"
    return html.unescape(found[0])


def opened(client: Client, url: str, form_key: str = "form", **headers) -> dict:
    """What the form sends back untouched: every field as the page showed it, stamp included."""
    response = client.get(url, **headers)
    assert response.status_code == 200
    form = response.context[form_key]
    data = {}
    for bound in form:
        value = bound.value()
        if value is not None and not bound.field.disabled:
            data[bound.html_name] = value
    data["based_on"] = rendered_stamp(response.content.decode())
    return data
