"""Who is proposed, compared with everyone who offended: by sex, age band and ethnicity.

The Gangs Matrix was found to list young Black men far out of proportion to their share of
violence (ICO 2018; Amnesty 2018).  A panel must see, for every proposal list, whether the list
over-represents a group compared with the people recorded offending in the same window; this
table is that check.  It is for monitoring only: these attributes are never used to score or
select anyone, and the web app never shows an individual's ethnicity.

``ratio`` is the share of the proposed list in a category divided by that category's share of
everyone with offender harm in the window (1.0 = in proportion).  Categories with fewer than
``SMALL`` proposed people are marked ``small`` because their ratio is unstable.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

SMALL = 10
AGE_BANDS = ((0, 13, "under 14"), (14, 17, "14-17"), (18, 24, "18-24"), (25, 34, "25-34"),
             (35, 200, "35 and over"))
COLUMNS = ("characteristic", "value", "offenders", "proposed", "offender_share",
           "proposed_share", "ratio", "small")


def age_band(date_of_birth: pl.Expr, as_of: datetime | None) -> pl.Expr:
    if as_of is None:
        return pl.lit("unknown")
    years = (pl.lit(as_of.date()) - date_of_birth).dt.total_days() / 365.25
    band = pl.lit("unknown")
    for low, high, label in reversed(AGE_BANDS):
        within = years.is_between(low, high + 1, closed="left")
        band = pl.when(within).then(pl.lit(label)).otherwise(band)
    return pl.when(date_of_birth.is_null()).then(pl.lit("unknown")).otherwise(band)


def breakdown(
    people: pl.DataFrame, recorded: pl.DataFrame, as_of: datetime | None
) -> pl.DataFrame:
    """``people``: the analysis people frame (person_id, harm_score, proposed);
    ``recorded``: the extract's people table (person_id, date_of_birth, sex, ethnicity)."""
    offenders = (
        people.filter(pl.col("harm_score") > 0)
        .select("person_id", "proposed")
        .join(recorded, on="person_id", how="left")
        .with_columns(
            pl.col("sex").fill_null("unknown"),
            pl.col("ethnicity").fill_null("unknown"),
            age_band(pl.col("date_of_birth"), as_of).alias("age band"),
        )
    )
    total = offenders.height
    proposed_total = int(offenders["proposed"].sum()) if total else 0
    parts = []
    for characteristic in ("sex", "age band", "ethnicity"):
        parts.append(
            offenders.group_by(pl.col(characteristic).alias("value"))
            .agg(
                pl.len().cast(pl.Int64).alias("offenders"),
                pl.col("proposed").sum().cast(pl.Int64).alias("proposed"),
            )
            .with_columns(pl.lit(characteristic).alias("characteristic"))
        )
    if not parts or total == 0:
        return pl.DataFrame(schema={c: pl.String for c in COLUMNS})
    table = pl.concat(parts).with_columns(
        (pl.col("offenders") / total).alias("offender_share"),
        (pl.col("proposed") / max(proposed_total, 1)).alias("proposed_share"),
    )
    return (
        table.with_columns(
            pl.when(pl.col("offender_share") > 0)
            .then(pl.col("proposed_share") / pl.col("offender_share"))
            .alias("ratio"),
            (pl.col("proposed") < SMALL).alias("small"),
        )
        .sort("characteristic", "offenders", "value", descending=[False, True, False])
        .select(COLUMNS)
    )
