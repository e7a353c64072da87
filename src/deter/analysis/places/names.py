"""LSOA names ("Leeds 111B") for LSOA codes, from a lookup packaged with Deter.

``lsoa_names_2011.csv.gz`` (``deter.analysis.data``): the 34,753 Lower Layer Super Output Areas
of England and Wales of the 2011 Census, ``lsoa_code,lsoa_name`` as the Office for National
Statistics names them (Open Government Licence v3.0; taken from the 2011 Census LSOA population
table as packaged by crime-sim-toolkit 1.5.0).  ``LSOA_NAMES_VERSION`` names the lookup and its
content's SHA-256, so a report says which lookup gave its names.  A code the lookup lacks (a
2021 LSOA created by a boundary change, a mistyped code) keeps no name, never a wrong one.
"""

from __future__ import annotations

import gzip
import hashlib
from functools import cache
from importlib import resources

import polars as pl

LSOA_NAMES_FILE = "lsoa_names_2011.csv.gz"


def _raw() -> bytes:
    return resources.files("deter.analysis.data").joinpath(LSOA_NAMES_FILE).read_bytes()


@cache
def lsoa_names() -> pl.DataFrame:
    """``lsoa_code``, ``lsoa_name``: one row per 2011 LSOA of England and Wales."""
    return pl.read_csv(gzip.decompress(_raw()),
                       schema={"lsoa_code": pl.String, "lsoa_name": pl.String})


@cache
def lsoa_names_version() -> str:
    """The lookup's name and the first 12 hex digits of its content's SHA-256."""
    return f"ONS 2011 Census LSOAs ({hashlib.sha256(gzip.decompress(_raw())).hexdigest()[:12]})"


def with_lsoa_names(frame: pl.DataFrame, code: str = "place_id") -> pl.DataFrame:
    """``frame`` with an ``lsoa_name`` column looked up from its ``code`` column (null where
    the lookup has no such code), rows in their order."""
    return frame.join(lsoa_names().rename({"lsoa_code": code}), on=code, how="left",
                      maintain_order="left")
