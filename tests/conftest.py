"""Shared test setup: every test starts with no process-default engine and a private cache dir."""

from __future__ import annotations

import pytest

import textgrad_sci as tg


@pytest.fixture(autouse=True)
def _isolated_defaults(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("TEXTGRAD_SCI_CACHE", str(tmp_path_factory.mktemp("engine-cache")))
    tg.set_backward_engine(None)
    yield
    tg.set_backward_engine(None)
