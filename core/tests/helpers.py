"""Test helpers shared by the apps' tests."""

from __future__ import annotations

from django.test import TestCase


def post_and_run(client, url: str, data=None, follow: bool = False):
    """POST, then run the hand-offs its transaction queued (tests never commit), then follow.

    The import pipeline checks and applies files in tasks queued on commit; this is what a
    user sees once the worker is done.
    """
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(url, data or {})
    while follow and response.status_code in (301, 302):
        response = client.get(response["Location"])
    return response
