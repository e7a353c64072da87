"""Tests of real data skip when ../shared is absent, but fail when CI requires it."""

import pytest

from shared_data import REQUIRE_VARIABLE, check_present


def test_absent_data_skips_by_default(tmp_path, monkeypatch):
    monkeypatch.delenv(REQUIRE_VARIABLE, raising=False)
    with pytest.raises(pytest.skip.Exception, match="shared data not present"):
        check_present([tmp_path / "nowhere"])


def test_absent_data_fails_when_required(tmp_path, monkeypatch):
    monkeypatch.setenv(REQUIRE_VARIABLE, "1")
    with pytest.raises(pytest.fail.Exception, match="nowhere"):
        check_present([tmp_path / "nowhere"])


def test_present_data_runs_either_way(tmp_path, monkeypatch):
    monkeypatch.setenv(REQUIRE_VARIABLE, "1")
    check_present([tmp_path])  # returns: nothing to skip or fail
