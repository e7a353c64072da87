"""Harm index tables: the weight of each offence, versioned, sourced and explainable.

A harm table gives every offence a weight in one unit, keyed by Home Office offence code, with a
fallback by data.police.uk crime category for events that have no code.  A run records the
table's name, version, unit and source, so every score can be traced to the exact weights used.

``load_harm_table(spec)`` accepts:

* ``"cchi-2026-asb"`` (built in, the default for new runs since issue 13): ``cchi-2026`` below
  plus a nominal weight for each anti-social behaviour incident type (``harm_asb_2026.csv``:
  one day for an incident of data.police.uk's single "Anti-social behaviour" type and for the
  NSIR "nuisance" type, two for "personal", half a day for "environmental").  ASB is not a
  notifiable crime, so the CCHI gives it nothing and a group driven by ASB scored zero; the
  basis of the weights (a fixed penalty's days of minimum-wage earnings, and what is a
  judgement) is in docs/analysis.md.  ASB never counts as violence.  Its version hashes all
  three files, so a run records which weights it used; runs that recorded ``cchi-2026`` keep
  it.
* ``"cchi-2026"`` (built in, the default until issue 13): Cambridge Crime Harm Index 2026, days of
  imprisonment in the Sentencing Council starting point for a first offender (Sherman, Neyroud &
  Neyroud 2016).  Caveat: the offence-level CCHI workbook was not available, so every Home Office
  code gets the *median* CCHI value of its Home Office offence subgroup (e.g. attempted murder
  gets the "violence with injury" median, 365 days, although its own value is far higher);
  police.uk categories get the volume-weighted mean of their subgroups.  A force holding the
  offence-level workbook should load it as its own table.
* a path to a CSV file (a user table), or ``"ons-css:<path>"`` for the ONS Crime Severity Score
  weights.  The ONS publishes one weight per offence code (severity points, derived from the
  sentences the offence receives; homicide 7,979, attempted murder 4,663, possession of
  cannabis 3 in the 2016 launch tables).  Deter does not ship those
  weights, since they could not be obtained from an open machine-readable source: save the
  ONS's published weights sheet as CSV (columns ``offence_code``, ``weight``) and load it.

A user table has one row per offence code (``offence_code``) or per police.uk category
(``offence_category``, used only for events without a known code), a ``weight`` (a number, at
least 0) and, optionally, ``description`` and ``violent`` (yes/no: whether the offence counts as
violence for the selection criteria; where blank or absent the Home Office classification
below applies).  Lines at the top starting with ``#`` may set ``# name:``, ``# unit:`` and
``# source:``.  A user table's version is the first 12 hex digits of the file's SHA-256, so
``sha256sum table.csv`` shows which file a run used.  Any fault raises ``ExtractError`` naming the
file, row and column.

*Violent* offences are, by default, the Home Office offence groups "Violence against the
person" (homicide, attempted murder, assaults with and without injury, threats to kill,
kidnapping, harassment, stalking, causing death by driving...), "Sexual offences", "Robbery" and
"Possession of weapons offences"; for events with only a police.uk category: "Violence and
sexual offences", "Robbery" and "Possession of weapons".  Note the Home Office groups include
driving offences causing death and non-contact offences such as malicious communications; a
programme that wants a narrower definition sets ``violent`` in its own table.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import polars as pl

from deter.analysis.extract import ExtractError

CCHI_TABLE = "cchi-2026"
ASB_TABLE = "cchi-2026-asb"
DEFAULT_TABLE = ASB_TABLE
BUILT_IN = (ASB_TABLE, CCHI_TABLE)
ONS_PREFIX = "ons-css:"
CCHI_CODE_FILE = "harm_cchi_2026.csv"
CCHI_CATEGORY_FILE = "harm_cchi_2026_by_policeuk_category.csv"
ASB_FILE = "harm_asb_2026.csv"
ASB_SOURCE = (
    "; anti-social behaviour: a nominal days-equivalent per incident type (harm_asb_2026.csv: "
    "the £100 fixed penalty as days of minimum-wage earnings; the split by NSIR type a "
    "judgement)"
)
CCHI_SOURCE = (
    "Cambridge Crime Harm Index 2026 (Sherman, Neyroud & Neyroud 2016), medians per Home Office "
    "offence subgroup; police.uk category fallback = volume-weighted mean of subgroup medians"
)
ONS_SOURCE = "ONS Crime Severity Score offence weights (user-supplied file)"
VIOLENT_GROUPS = frozenset(
    {
        "violence against the person",
        "sexual offences",
        "robbery",
        "possession of weapons offences",
    }
)
VIOLENT_CATEGORIES = frozenset(
    {"violence and sexual offences", "robbery", "possession of weapons"}
)
# Spellings of police.uk categories other than the "Crime type" column of the street files
# (e.g. the police.uk API slugs), after normalising.
CATEGORY_ALIASES = {
    "violent crime": "violence and sexual offences",
    "violence": "violence and sexual offences",
    "criminal damage arson": "criminal damage and arson",
    "theft from person": "theft from the person",
    "weapons": "possession of weapons",
}
USER_COLUMNS = ("offence_code", "offence_category", "weight", "description", "violent")
METADATA_KEYS = ("name", "unit", "source")
YES = frozenset({"yes", "y", "true", "1"})
NO = frozenset({"no", "n", "false", "0"})


@dataclass(frozen=True, eq=False)
class HarmTable:
    """Offence weights in one ``unit``; keys are normalised (see ``code_key``/``category_key``).

    ``violent_codes``/``violent_categories`` say which offences count as violence;
    ``classified_codes`` are the codes whose violence is decided by code (an event whose code is
    not among them is classified by its category).
    """

    name: str
    version: str
    source: str
    unit: str
    by_code: Mapping[str, float]
    by_category: Mapping[str, float]
    violent_codes: frozenset[str]
    violent_categories: frozenset[str]
    classified_codes: frozenset[str]
    descriptions: Mapping[str, str] = field(default_factory=dict)

    def summary(self) -> dict[str, str | int]:
        """What a run records about the table it used."""
        return {
            "name": self.name,
            "version": self.version,
            "unit": self.unit,
            "source": self.source,
            "offence_codes": len(self.by_code),
            "offence_categories": len(self.by_category),
        }

    def weight_by_code(self, frame: pl.DataFrame) -> pl.Expr:
        """The weight of each ``offence_code`` of ``frame`` (null when the table has none)."""
        weight = normalise_code(pl.col("offence_code")).replace_strict(
            dict(self.by_code), default=None, return_dtype=pl.Float64
        )
        return _via_distinct(frame, "offence_code", weight)

    def weight_by_category(self, frame: pl.DataFrame) -> pl.Expr:
        """The weight of each ``offence_category`` of ``frame`` (null when the table has none)."""
        weight = normalise_category(pl.col("offence_category")).replace_strict(
            dict(self.by_category), default=None, return_dtype=pl.Float64
        )
        return _via_distinct(frame, "offence_category", weight)

    def is_violent(self) -> pl.Expr:
        """True for a violent offence: by code when the code is classified, else by category."""
        code = normalise_code(pl.col("offence_code"))
        category = normalise_category(pl.col("offence_category"))
        return (
            pl.when(code.is_in(list(self.classified_codes)))
            .then(code.is_in(list(self.violent_codes)))
            .otherwise(category.is_in(list(self.violent_categories)))
            .fill_null(False)
        )


def _via_distinct(frame: pl.DataFrame, column: str, value: pl.Expr) -> pl.Expr:
    """``value`` of ``column``, worked out once per distinct value: a force's million events
    hold a few hundred codes, and string normalisation per row costs most of the time."""
    distinct = frame.get_column(column).unique().drop_nulls()
    mapped = pl.DataFrame({column: distinct}).select(value).to_series()
    return pl.col(column).replace_strict(
        distinct, mapped, default=None, return_dtype=mapped.dtype
    )


def normalise_code(expr: pl.Expr) -> pl.Expr:
    return expr.str.strip_chars().str.to_uppercase()


def normalise_category(expr: pl.Expr) -> pl.Expr:
    normalised = expr.str.to_lowercase().str.replace_all(r"[-_\s]+", " ").str.strip_chars()
    return normalised.replace(CATEGORY_ALIASES)


def code_key(code: str) -> str:
    return code.strip().upper()


def category_key(category: str) -> str:
    key = re.sub(r"[-_\s]+", " ", category.lower()).strip()
    return CATEGORY_ALIASES.get(key, key)


def code_keys(code: str) -> list[str]:
    """A code and, for a combined code such as ``1/4.1/4.10/4.2``, each of its parts."""
    key = code_key(code)
    parts = [part.strip() for part in key.split("/")] if "/" in key else []
    return [key, *parts]


def load_harm_table(spec: str) -> HarmTable:
    """A built-in table by name, ``ons-css:<path>``, or a user table at a path."""
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError("harm_table must name a built-in table or a CSV file")
    if spec == CCHI_TABLE:
        return cchi_2026()
    if spec == ASB_TABLE:
        return cchi_2026_asb()
    if spec.startswith(ONS_PREFIX):
        path = Path(spec.removeprefix(ONS_PREFIX))
        return read_user_table(path, name="ons-css", unit="severity points", source=ONS_SOURCE)
    path = Path(spec)
    if path.suffix.lower() != ".csv" and not path.exists():
        raise ValueError(
            f"unknown harm table {spec!r}: use {ASB_TABLE!r}, {CCHI_TABLE!r}, "
            "'ons-css:<file.csv>' or the path of a CSV file"
        )
    return read_user_table(path)


@functools.cache
def cchi_code_table() -> pl.DataFrame:
    """The built-in offence-code table as shipped: offence_code, offence_description,
    offence_group, offence_subgroup, policeuk_category, cchi_days, national_count_2017_18."""
    return pl.read_csv(_data_bytes(CCHI_CODE_FILE), infer_schema=False).with_columns(
        pl.col("cchi_days").cast(pl.Float64)
    )


@functools.cache
def cchi_category_table() -> pl.DataFrame:
    """The built-in police.uk category table: policeuk_category (lower case), cchi_days."""
    return pl.read_csv(_data_bytes(CCHI_CATEGORY_FILE), infer_schema=False).select(
        pl.col("policeuk_category").str.to_lowercase(), pl.col("cchi_days").cast(pl.Float64)
    )


@functools.cache
def home_office_violence() -> tuple[frozenset[str], frozenset[str]]:
    """(every Home Office code known, the violent ones), each code also split into its parts."""
    table = cchi_code_table()
    known: set[str] = set()
    violent: set[str] = set()
    for code, group in zip(table["offence_code"], table["offence_group"], strict=True):
        keys = code_keys(code)
        known.update(keys)
        if group.strip().lower() in VIOLENT_GROUPS:
            violent.update(keys)
    return frozenset(known), frozenset(violent)


@functools.cache
def cchi_2026() -> HarmTable:
    codes, categories = cchi_code_table(), cchi_category_table()
    by_code: dict[str, float] = {}
    descriptions: dict[str, str] = {}
    for code, days, description in zip(
        codes["offence_code"], codes["cchi_days"], codes["offence_description"], strict=True
    ):
        for key in code_keys(code):
            by_code.setdefault(key, days)
            descriptions.setdefault(key, description)
    by_category = dict(zip(categories["policeuk_category"], categories["cchi_days"], strict=True))
    by_category.update({alias: by_category[target] for alias, target in CATEGORY_ALIASES.items()})
    known, violent = home_office_violence()
    digest = hashlib.sha256(_data_bytes(CCHI_CODE_FILE) + _data_bytes(CCHI_CATEGORY_FILE))
    return HarmTable(
        name=CCHI_TABLE,
        version=digest.hexdigest()[:12],
        source=CCHI_SOURCE,
        unit="days",
        by_code=by_code,
        by_category=by_category,
        violent_codes=violent,
        violent_categories=VIOLENT_CATEGORIES,
        classified_codes=known | frozenset(by_code),
        descriptions=descriptions,
    )


@functools.cache
def asb_table() -> pl.DataFrame:
    """The anti-social behaviour weights as shipped: incident_category (normalised), days,
    basis."""
    return pl.read_csv(_data_bytes(ASB_FILE), infer_schema=False).select(
        pl.col("incident_category").map_elements(category_key, return_dtype=pl.String),
        pl.col("days").cast(pl.Float64), "basis",
    )


@functools.cache
def cchi_2026_asb() -> HarmTable:
    """``cchi-2026`` with a weight for each anti-social behaviour incident type (by category:
    ASB has no Home Office offence code); never violent."""
    base = cchi_2026()
    asb = asb_table()
    by_category = dict(base.by_category)
    for category, days in zip(asb["incident_category"], asb["days"], strict=True):
        by_category[category] = days
    digest = hashlib.sha256(
        _data_bytes(CCHI_CODE_FILE) + _data_bytes(CCHI_CATEGORY_FILE) + _data_bytes(ASB_FILE))
    return HarmTable(
        name=ASB_TABLE,
        version=digest.hexdigest()[:12],
        source=CCHI_SOURCE + ASB_SOURCE,
        unit=base.unit,
        by_code=base.by_code,
        by_category=by_category,
        violent_codes=base.violent_codes,
        violent_categories=base.violent_categories,
        classified_codes=base.classified_codes,
        descriptions=base.descriptions,
    )


def read_user_table(
    path: Path, name: str | None = None, unit: str = "points", source: str | None = None
) -> HarmTable:
    """Read and validate a user harm table (format in the module docstring)."""
    file = str(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ExtractError(file, f"cannot read the harm table ({error.strerror})") from error
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        row = data[: error.start].count(b"\n") + 1
        raise ExtractError(file, "not UTF-8 text; save the file as UTF-8", row=row) from error
    lines = text.splitlines()
    metadata, first = _metadata(file, lines)
    rows = lines[first:]
    while rows and not rows[-1].strip():
        rows.pop()
    if not rows:
        raise ExtractError(file, "has no header row; expected offence_code, weight")
    blank = next((i for i, line in enumerate(rows) if not line.strip()), None)
    if blank is not None:
        raise ExtractError(file, "blank row; remove it", row=first + blank + 1)
    header_row = first + 1
    try:
        raw = pl.read_csv(io.StringIO("\n".join(rows)), infer_schema=False)
    except pl.exceptions.PolarsError as error:
        raise ExtractError(file, f"not a well-formed CSV file ({error})") from error
    header = next(csv.reader([rows[0]]))
    raw = _check_header(file, raw, header, header_row)
    entries = _rows(file, raw, header_row)
    known, ho_violent = home_office_violence()
    by_code: dict[str, float] = {}
    by_category: dict[str, float] = {}
    descriptions: dict[str, str] = {}
    violent_codes, not_violent_codes = set(), set()
    violent_categories, not_violent_categories = set(VIOLENT_CATEGORIES), set()
    for entry in entries:
        keys = code_keys(entry.code) if entry.code else [entry.category]
        weights = by_code if entry.code else by_category
        for key in keys:
            weights.setdefault(key, entry.weight)
            if entry.description:
                descriptions.setdefault(key, entry.description)
            if entry.violent is not None:
                chosen = (
                    (violent_codes if entry.violent else not_violent_codes)
                    if entry.code
                    else (violent_categories if entry.violent else not_violent_categories)
                )
                chosen.add(key)
    return HarmTable(
        name=metadata.get("name") or name or path.stem,
        version=hashlib.sha256(data).hexdigest()[:12],
        source=metadata.get("source") or source or path.name,
        unit=metadata.get("unit") or unit,
        by_code=by_code,
        by_category=by_category,
        violent_codes=frozenset((ho_violent - not_violent_codes) | violent_codes),
        violent_categories=frozenset(violent_categories - not_violent_categories),
        classified_codes=known | frozenset(by_code),
        descriptions=descriptions,
    )


@dataclass(frozen=True)
class _Entry:
    code: str | None
    category: str | None
    weight: float
    description: str | None
    violent: bool | None


def _metadata(file: str, lines: list[str]) -> tuple[dict[str, str], int]:
    """The ``# key: value`` lines at the top, and the index of the first other line."""
    metadata: dict[str, str] = {}
    index = 0
    while index < len(lines) and lines[index].lstrip().startswith("#"):
        text = lines[index].lstrip()[1:].strip()
        key, colon, value = text.partition(":")
        key = key.strip().lower()
        if colon and key in METADATA_KEYS:
            metadata[key] = value.strip()
        elif colon and key:
            raise ExtractError(
                file, f"unknown setting {key!r}; a harm table may set {', '.join(METADATA_KEYS)}",
                row=index + 1,
            )
        index += 1
    return metadata, index


def _check_header(
    file: str, raw: pl.DataFrame, header: list[str], header_row: int
) -> pl.DataFrame:
    # the header as written: polars renames a repeated column before we could see it
    names = [re.sub(r"[\s-]+", "_", name.strip().lower()) for name in header]
    for name, original in zip(names, header, strict=True):
        if name not in USER_COLUMNS:
            raise ExtractError(
                file, f"unknown column; a harm table has {', '.join(USER_COLUMNS)}",
                row=header_row, column=original,
            )
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ExtractError(file, "column given twice", row=header_row, column=duplicated[0])
    if "weight" not in names:
        raise ExtractError(file, "required column is missing", row=header_row, column="weight")
    if "offence_code" not in names and "offence_category" not in names:
        raise ExtractError(
            file, "needs an offence_code or an offence_category column", row=header_row,
            column="offence_code",
        )
    raw.columns = names
    return raw.with_columns(
        pl.col(name).str.strip_chars().replace("", None) for name in names
    )


def _rows(file: str, raw: pl.DataFrame, header_row: int) -> list[_Entry]:
    entries: list[_Entry] = []
    seen_codes: dict[str, int] = {}
    seen_categories: dict[str, int] = {}
    for index, row in enumerate(raw.iter_rows(named=True)):
        at = header_row + 1 + index
        code, category = row.get("offence_code"), row.get("offence_category")
        if code is None and category is None:
            raise ExtractError(
                file, "a row needs an offence_code or an offence_category", row=at,
                column="offence_code" if "offence_code" in row else "offence_category",
            )
        weight = _weight(file, row.get("weight"), at)
        if code is not None:
            for key in code_keys(code):
                if key in seen_codes:
                    raise ExtractError(
                        file, f"offence code {key!r} given twice (also row {seen_codes[key]})",
                        row=at, column="offence_code",
                    )
                seen_codes[key] = at
        else:
            key = category_key(category)
            if key in seen_categories:
                raise ExtractError(
                    file,
                    f"offence category {category!r} given twice (also row {seen_categories[key]})",
                    row=at, column="offence_category",
                )
            seen_categories[key] = at
        entries.append(
            _Entry(
                code=code,
                category=None if code is not None else category_key(category),
                weight=weight,
                description=row.get("description"),
                violent=_yes_no(file, row.get("violent"), at),
            )
        )
    if not entries:
        raise ExtractError(file, "has no weights; add a row per offence code or category")
    return entries


def _weight(file: str, value: str | None, row: int) -> float:
    if value is None:
        raise ExtractError(file, "value is required", row=row, column="weight")
    try:
        weight = float(value.replace(",", ""))
    except ValueError:
        raise ExtractError(file, f"{value!r} is not a number", row=row, column="weight") from None
    if not weight >= 0 or weight == float("inf"):
        raise ExtractError(
            file, f"{value!r} must be a finite number of at least 0", row=row, column="weight"
        )
    return weight


def _yes_no(file: str, value: str | None, row: int) -> bool | None:
    if value is None:
        return None
    if value.lower() in YES:
        return True
    if value.lower() in NO:
        return False
    raise ExtractError(file, f"{value!r} must be yes or no", row=row, column="violent")


def _data_bytes(name: str) -> bytes:
    return resources.files("deter.analysis.data").joinpath(name).read_bytes()


# --- the table as a reader sees it, and what changed between two tables ---


def _natural(key: str) -> list:
    """"2" before "10A" before "105A": digits compare as numbers."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part)
            for part in re.split(r"(\d+)", key) if part]


def weights(table: HarmTable) -> list[dict]:
    """Every weight of ``table``: kind ("offence code" or "offence category"), key,
    description, weight and violent, codes in natural order then categories; the spellings
    ``CATEGORY_ALIASES`` adds are left out (they repeat the category they stand for)."""
    rows = [
        {"kind": "offence code", "key": code, "description": table.descriptions.get(code, ""),
         "weight": weight, "violent": code in table.violent_codes}
        for code, weight in sorted(table.by_code.items(), key=lambda item: _natural(item[0]))
    ]
    rows += [
        {"kind": "offence category", "key": category, "description": "",
         "weight": weight, "violent": category in table.violent_categories}
        for category, weight in sorted(table.by_category.items())
        if category not in CATEGORY_ALIASES
    ]
    return rows


def diff_tables(old: HarmTable, new: HarmTable) -> dict[str, list[dict]]:
    """What changed from ``old`` to ``new``: offences ``added`` and ``removed`` (with their
    weight), ``reweighted`` (old and new weight) and ``reclassified`` (violent or not)."""
    before = {(row["kind"], row["key"]): row for row in weights(old)}
    after = {(row["kind"], row["key"]): row for row in weights(new)}
    changes: dict[str, list[dict]] = {
        "added": [after[key] for key in after if key not in before],
        "removed": [before[key] for key in before if key not in after],
        "reweighted": [],
        "reclassified": [],
    }
    for key in (key for key in after if key in before):
        was, now = before[key], {**after[key]}
        now["description"] = now["description"] or was["description"]
        if was["weight"] != now["weight"]:
            changes["reweighted"].append({**now, "old_weight": was["weight"]})
        if was["violent"] != now["violent"]:
            changes["reclassified"].append(now)
    return changes
