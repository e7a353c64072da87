"""The real data the tests read from ``../shared`` (outside the repository).

A test that needs it is marked ``@needs_shared(path)``: it is skipped when the path is absent,
unless ``DETER_REQUIRE_SHARED_DATA=1`` (as in CI), when it fails instead, so a missing or
moved folder cannot pass unnoticed.  ``tests/conftest.py`` applies the marker.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"
REAL = SHARED / "data" / "real"
REQUIRE_VARIABLE = "DETER_REQUIRE_SHARED_DATA"


def shared_path(*parts: str) -> Path:
    """A path under ``../shared/data/real``."""
    return REAL.joinpath(*parts)


def needs_shared(*paths: Path) -> pytest.MarkDecorator:
    return pytest.mark.shared_data(*paths)


def required() -> bool:
    return os.environ.get(REQUIRE_VARIABLE) == "1"


def check_present(paths: list[Path]) -> None:
    """Skip (or, when required, fail) unless every path exists."""
    missing = [str(path) for path in paths if not path.exists()]
    if not missing:
        return
    message = f"shared data not present: {', '.join(missing)}"
    if required():
        pytest.fail(f"{message} ({REQUIRE_VARIABLE}=1)", pytrace=False)
    pytest.skip(message)

