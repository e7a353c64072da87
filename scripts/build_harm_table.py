"""Rebuild ``src/deter/analysis/data/harm_cchi_2026.csv`` from the shared real data.

Joins the Home Office offence-code list (code -> PRC subgroup, police.uk category) to the
Cambridge Crime Harm Index 2026 medians per PRC subgroup, and adds the England and Wales
2017/18 recorded count per code (fraud bodies excluded) so the synthetic county can draw
offences with realistic frequencies.  Run from the repository root:

    python scripts/build_harm_table.py ../shared/data/real
"""

import sys
from pathlib import Path

import polars as pl

# Home Office PRC subgroup names that the CCHI aggregation spells differently.
SUBGROUP_ALIASES = {
    "Domestic burglary": "Residential burglary",
    "Non-domestic burglary": "Non-residential burglary",
    "Theft from a vehicle": "Vehicle offences",
    "Theft of a motor vehicle": "Vehicle offences",
    "Vehicle interference": "Vehicle offences",
    "Miscellaneous crimes": "Miscellaneous crimes against society",
}
FRAUD_BODIES = ["Action Fraud", "CIFAS", "UK Finance", "Financial Fraud Action UK"]


def main(real: Path) -> None:
    codes = pl.read_csv(
        real / "home_office_recorded_crime_offence_codes/offence_code_to_policeuk_category.csv",
        infer_schema=False,
    ).drop("")
    cchi = pl.read_csv(real / "cambridge_crime_harm_index_subgroup/cchi_days_by_prc_subgroup.csv")
    counts = (
        pl.read_csv(
            real / "home_office_recorded_crime_offence_codes/prc_pfa_2017_18_by_offence_code.csv",
            infer_schema=False,
        )
        .filter(~pl.col("Force_Name").is_in(FRAUD_BODIES))
        .group_by("Offence_Code")
        .agg(pl.col("Number_of_Offences").cast(pl.Int64).sum().alias("national_count_2017_18"))
    )
    table = (
        codes.filter(pl.col("Offence_Group") != "Fraud offences")
        .with_columns(
            pl.col("Offence_Subgroup").replace(SUBGROUP_ALIASES).alias("cchi_subgroup")
        )
        .join(cchi.select("prc_subgroup", "cchi_days"), left_on="cchi_subgroup",
              right_on="prc_subgroup", how="left")
        .join(counts, on="Offence_Code", how="left")
        .select(
            pl.col("Offence_Code").alias("offence_code"),
            pl.col("Offence_Description").alias("offence_description"),
            pl.col("Offence_Group").alias("offence_group"),
            pl.col("Offence_Subgroup").alias("offence_subgroup"),
            pl.col("Police.uk_Cat").str.to_lowercase().alias("policeuk_category"),
            "cchi_days",
            pl.col("national_count_2017_18").fill_null(0),
        )
        .sort("offence_code")
    )
    missing = table.filter(pl.col("cchi_days").is_null())
    if missing.height:
        raise SystemExit(f"no CCHI value for: {missing['offence_code'].to_list()}")
    table.write_csv("src/deter/analysis/data/harm_cchi_2026.csv")
    by_category = pl.read_csv(
        real / "cambridge_crime_harm_index_subgroup/cchi_days_by_policeuk_category.csv"
    ).select(pl.col("crime_type").str.to_lowercase().alias("policeuk_category"), "cchi_days")
    by_category.write_csv("src/deter/analysis/data/harm_cchi_2026_by_policeuk_category.csv")
    print(f"wrote {table.height} offence codes and {by_category.height} police.uk categories")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
