"""The drills' stack fixture: one production stack per test module, always torn down."""

from __future__ import annotations

import pytest

from .stack import Stack


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = Stack(tmp_path_factory.mktemp("stack"))
    try:
        s.prepare()
        s.start_all()
        yield s
    finally:
        s.stop()
