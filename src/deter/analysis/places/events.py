"""The events places are measured on: required columns, each event's harm and violence."""

from __future__ import annotations

import math

import polars as pl

from deter.analysis.harm_tables import (
    DEFAULT_TABLE,
    HarmTable,
    load_harm_table,
    normalise_category,
    normalise_code,
)


def require_columns(events: pl.DataFrame, *columns: str) -> None:
    """ValueError naming the first of ``columns`` that ``events`` lacks."""
    for column in columns:
        if column not in events.columns:
            raise ValueError(
                f"events have no column {column!r} (columns: {', '.join(events.columns)})"
            )


def event_harm_expr(events: pl.DataFrame, weight: str, decay: str | None = None) -> pl.Expr:
    """Each event's harm: ``weight`` (times ``decay`` when given), checked to be a number of at
    least 0 on every event; ValueError names the column and the first bad event."""
    for column in (weight, decay):
        if column is None:
            continue
        require_columns(events, column)
        dtype = events.schema[column]
        if not dtype.is_numeric():
            raise ValueError(f"column {column!r} must be numeric, not {dtype}")
        invalid = pl.col(column).is_null() | (pl.col(column) < 0)
        if dtype.is_float():
            invalid = invalid | pl.col(column).is_nan()
        bad = events.filter(invalid)
        if bad.height:
            which = bad["event_id"][0] if "event_id" in bad.columns else "(unknown)"
            raise ValueError(
                f"column {column!r} must be a number of at least 0 on every event; "
                f"{bad.height} are not, the first on event {which!r} ({bad[column][0]!r})"
            )
    harm = pl.col(weight).cast(pl.Float64)
    return harm * pl.col(decay).cast(pl.Float64) if decay else harm


def _violent_expr(events: pl.DataFrame, table: HarmTable | None) -> pl.Expr:
    """Whether each event is violent by the harm table (``HarmTable.is_violent``: by code when
    the code is classified, else by category), looked up once per distinct code and category;
    null when the events carry neither column."""
    have = [c for c in ("offence_code", "offence_category") if c in events.columns]
    if not have:
        return pl.lit(None, dtype=pl.Boolean)
    table = table or load_harm_table(DEFAULT_TABLE)
    flags = []
    if "offence_code" in events.columns:
        codes = events.get_column("offence_code").cast(pl.String).unique().drop_nulls()
        key = normalise_code(pl.col("offence_code"))
        by_code = pl.DataFrame({"offence_code": codes}).select(
            pl.when(key.is_in(list(table.classified_codes)))
            .then(key.is_in(list(table.violent_codes)))
        ).to_series()
        flags.append(pl.col("offence_code").cast(pl.String).replace_strict(
            codes, by_code, default=None, return_dtype=pl.Boolean))
    if "offence_category" in events.columns:
        categories = events.get_column("offence_category").cast(pl.String).unique().drop_nulls()
        by_category = pl.DataFrame({"offence_category": categories}).select(
            normalise_category(pl.col("offence_category")).is_in(
                list(table.violent_categories))
        ).to_series()
        flags.append(pl.col("offence_category").cast(pl.String).replace_strict(
            categories, by_category, default=None, return_dtype=pl.Boolean))
    return pl.coalesce(*flags, pl.lit(False))


def _check_positive(name: str, value: float) -> None:
    if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive number, not {value!r}")


