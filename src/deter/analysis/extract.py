"""The extract format: one folder, one table a file (CSV or Parquet), validated as it is read.

``read_extract`` either returns every table fully typed or raises ``ExtractError`` naming the
file, the row and the column at fault; it never returns a partly valid extract.  The format is
documented for users in ``docs/extract-format.md``; ``TABLES`` below is its single definition.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl

ROLES = ("suspect", "offender", "victim", "witness", "other")
OFFENDING_ROLES = ("suspect", "offender")


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # one of: id, text, date, datetime, float
    required: bool = False
    choices: tuple[str, ...] | None = None
    lower: float | None = None
    upper: float | None = None
    # the database column's limit, in characters (both backends refuse or cut longer text)
    max_length: int | None = None


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    # (column, referenced table, referenced column)
    references: tuple[tuple[str, str, str], ...] = ()

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


# An association's weight counts contacts or scores a tie; beyond this it is a mistake (1e308
# is finite but overflows any sum of weights to infinity and empties the analysis).
MAX_WEIGHT = 1e6
# No record is dated before this; none after the extract's as-of date plus TOLERANCE.
EARLIEST = date(1900, 1, 1)
TOLERANCE = timedelta(days=2)
# An extract folder may declare what it is: {"as_of": "YYYY-MM-DD"} (default: the day read).
ABOUT_FILE = "extract.json"

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "people",
            (
                Column("person_id", "id", required=True, max_length=64),
                Column("date_of_birth", "date"),
                Column("sex", "text", choices=("female", "male", "other", "unknown"),
                       max_length=16),
                Column("ethnicity", "text", max_length=64),
            ),
            key=("person_id",),
        ),
        Table(
            "events",
            (
                Column("event_id", "id", required=True, max_length=80),
                Column("occurred_at", "datetime", required=True),
                Column("offence_code", "text", max_length=32),
                Column("offence_category", "text", max_length=100),
                Column("latitude", "float", lower=-90, upper=90),
                Column("longitude", "float", lower=-180, upper=180),
                Column("lsoa_code", "text", max_length=16),
            ),
            key=("event_id",),
        ),
        Table(
            "involvements",
            (
                Column("event_id", "id", required=True, max_length=80),
                Column("person_id", "id", required=True, max_length=64),
                Column("role", "text", required=True, choices=ROLES, max_length=16),
            ),
            key=("event_id", "person_id", "role"),
            references=(("event_id", "events", "event_id"), ("person_id", "people", "person_id")),
        ),
        Table(
            "associations",
            (
                Column("person_a", "id", required=True, max_length=64),
                Column("person_b", "id", required=True, max_length=64),
                Column("kind", "text", required=True, max_length=64),
                Column("weight", "float", lower=0, upper=MAX_WEIGHT),
                Column("observed_at", "date"),
                Column("source", "text", max_length=100),
            ),
            key=("person_a", "person_b", "kind", "observed_at"),
            references=(("person_a", "people", "person_id"), ("person_b", "people", "person_id")),
        ),
        Table(
            "groups",
            (
                Column("group_id", "id", required=True, max_length=64),
                Column("name", "text", max_length=200),
                Column("kind", "text", max_length=64),
            ),
            key=("group_id",),
        ),
        Table(
            "memberships",
            (
                Column("person_id", "id", required=True, max_length=64),
                Column("group_id", "id", required=True, max_length=64),
                Column("start", "date"),
                Column("end", "date"),
                Column("source", "text", max_length=100),
                Column("confidence", "float", lower=0, upper=1),
            ),
            key=("person_id", "group_id", "start"),
            references=(("person_id", "people", "person_id"), ("group_id", "groups", "group_id")),
        ),
    )
}

DTYPES = {
    "id": pl.String,
    "text": pl.String,
    "date": pl.Date,
    "datetime": pl.Datetime("us", "UTC"),
    "float": pl.Float64,
}
DATETIME_FORMATS = (
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
)
KIND_HINTS = {
    "date": "a date (YYYY-MM-DD)",
    "datetime": "a date-time (YYYY-MM-DDTHH:MM:SS in UTC, or YYYY-MM-DD)",
    "float": "a number",
}


class ExtractError(ValueError):
    """Malformed or inconsistent extract: says which file, row and column, and what is wrong.

    ``row`` counts as a spreadsheet does: the header is row 1, the first record row 2.
    """

    def __init__(self, file: str, problem: str, row: int | None = None, column: str | None = None):
        self.file, self.problem, self.row, self.column = file, problem, row, column
        where = file
        if row is not None:
            where += f", row {row}"
        if column is not None:
            where += f", column {column}"
        super().__init__(f"{where}: {problem}")


@dataclass
class Extract:
    """Every table of an extract, typed by ``TABLES``; an absent table is an empty frame."""

    people: pl.DataFrame
    events: pl.DataFrame
    involvements: pl.DataFrame
    associations: pl.DataFrame
    groups: pl.DataFrame
    memberships: pl.DataFrame

    @classmethod
    def from_frames(cls, **frames: pl.DataFrame) -> Extract:
        """Build an extract from (possibly partial) frames, filling absent tables and columns."""
        unknown = set(frames) - set(TABLES)
        if unknown:
            raise ValueError(f"unknown tables: {sorted(unknown)}")
        return cls(**{name: conform(frames.get(name), TABLES[name]) for name in TABLES})

    # Where rows came from, for messages about them: table -> the one file it was read from
    # (row = index + 2, as a spreadsheet counts), or for a table gathered from several files,
    # each row's file and row there.  Absent: "<table>.csv".
    origins: dict[str, str | tuple[list[str], list[int]]] = field(
        default_factory=dict, repr=False
    )
    # What reading did beyond taking rows as given (rows merged, keys made), for the user.
    notes: list[str] = field(default_factory=list, repr=False)
    # The columns each table's file held (absent: all of them). A column a file did not give
    # is filled with nulls here; an import keeps what the database holds for it.
    given: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)

    def columns_given(self, table: str) -> tuple[str, ...]:
        return self.given.get(table, tuple(c.name for c in TABLES[table].columns))

    def tables(self) -> dict[str, pl.DataFrame]:
        return {name: getattr(self, name) for name in TABLES}

    def origin(self, table: str, index: int) -> tuple[str, int]:
        """The file and row that row ``index`` of ``table`` was read from."""
        where = self.origins.get(table, f"{table}.csv")
        if isinstance(where, str):
            return where, index + 2
        files, rows = where
        return files[index], rows[index]


def schema(table: Table) -> dict[str, pl.DataType]:
    return {c.name: DTYPES[c.kind] for c in table.columns}


def conform(frame: pl.DataFrame | None, table: Table) -> pl.DataFrame:
    """Add absent optional columns as nulls and order columns as ``TABLES`` does."""
    if frame is None:
        return pl.DataFrame(schema=schema(table))
    return frame.with_columns(
        pl.lit(None, dtype=DTYPES[c.kind]).alias(c.name)
        for c in table.columns
        if c.name not in frame.columns
    ).select([pl.col(c.name).cast(DTYPES[c.kind]) for c in table.columns])


def read_extract(folder: str | Path, as_of: date | None = None, *,
                 references: bool = True) -> Extract:
    """Read and validate every table in ``folder``; raise ``ExtractError`` on the first fault.

    No date may fall after ``as_of`` (else the folder's declared as-of, else today) plus
    ``TOLERANCE``, and no birth after it at all: one event dated 2099 would otherwise move the
    analysis date there and empty the window.

    ``references=False`` leaves the references between tables to the caller: a later extract
    for an import may name people and events already held elsewhere (the importer checks them
    against the extract and the database with ``check_references``).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ExtractError(str(folder), "is not a folder")
    as_of = as_of or _declared_as_of(folder) or datetime.now(UTC).date()
    files = _table_files(folder)
    frames = {name: _read_table(path, TABLES[name], as_of) for name, path in files.items()}
    extract = Extract.from_frames(**frames)
    extract.origins = {name: path.name for name, path in files.items()}
    extract.given = {name: tuple(frame.columns) for name, frame in frames.items()}
    if references:
        check_references(extract)
    return extract


def check_references(extract: Extract,
                     elsewhere: dict[str, pl.Series] | None = None) -> None:
    """Every reference between tables names a record of the extract, or one of ``elsewhere``
    (table -> the keys held outside the extract, e.g. in the database); else ExtractError
    naming the file, row and column of the first that does not."""
    files = {name: extract.origins.get(name, f"{name}.csv") for name in TABLES}
    files = {name: file if isinstance(file, str) else name for name, file in files.items()}
    for name in sorted(files, key=files.__getitem__):  # the order the files were read in
        if TABLES[name].references:
            _check_references(extract, TABLES[name], files[name], elsewhere or {})


def write_extract(extract: Extract, folder: str | Path, fmt: str = "csv") -> None:
    """Write every non-empty table of ``extract`` to ``folder`` as CSV or Parquet.

    Any earlier file of the same table, in either format, is removed first so that a folder
    written twice never mixes two extracts.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in extract.tables().items():
        for stale in (folder / f"{name}.csv", folder / f"{name}.parquet"):
            stale.unlink(missing_ok=True)
        if frame.height == 0:
            continue
        if fmt == "parquet":
            frame.write_parquet(folder / f"{name}.parquet")
        else:
            frame.with_columns(
                pl.col(pl.Datetime).dt.strftime("%Y-%m-%dT%H:%M:%S")
            ).write_csv(folder / f"{name}.csv")


def _declared_as_of(folder: Path) -> date | None:
    path = folder / ABOUT_FILE
    if not path.is_file():
        return None
    try:
        about = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ExtractError(ABOUT_FILE, f"not a readable JSON object ({error})") from error
    if not isinstance(about, dict) or set(about) - {"as_of"}:
        raise ExtractError(ABOUT_FILE, 'expected {"as_of": "YYYY-MM-DD"}')
    if "as_of" not in about:
        return None
    try:
        return date.fromisoformat(str(about["as_of"]))
    except ValueError as error:
        raise ExtractError(ABOUT_FILE, f"{about['as_of']!r} is not a date (YYYY-MM-DD)",
                           column="as_of") from error


def _table_files(folder: Path) -> dict[str, Path]:
    files: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix not in (".csv", ".parquet") or not path.is_file():
            continue
        if path.stem not in TABLES:
            raise ExtractError(
                path.name, f"unknown table; expected one of {', '.join(TABLES)}"
            )
        if path.stem in files:
            raise ExtractError(path.name, f"table given twice (also {files[path.stem].name})")
        files[path.stem] = path
    return files


def _read_raw(path: Path) -> pl.DataFrame:
    """The file's cells: a CSV's as strings; a Parquet file's as stored (``_read_table``
    parses strings and checks typed columns as they are), or ExtractError for bad encoding,
    broken CSV or an unreadable Parquet file."""
    if path.suffix == ".parquet":
        try:
            return pl.read_parquet(path)
        except Exception as error:  # polars raises several kinds for a corrupt file
            raise ExtractError(path.name, f"not a readable Parquet file ({error})") from error
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        row = data[: error.start].count(b"\n") + 1
        raise ExtractError(
            path.name,
            f"not UTF-8 text (byte 0x{data[error.start]:02x}); save the file as UTF-8",
            row=row,
        ) from error
    if not text.strip():
        raise ExtractError(path.name, "is empty; a table needs at least a header row", row=1)
    # blank lines at the end are what many tools write: dropped, not read as empty rows
    text = TRAILING_BLANK_LINES.sub("", text) + "\n"
    header = _check_csv_rows(path.name, text)
    duplicates = sorted({h for h in header if header.count(h) > 1})
    if duplicates:
        raise ExtractError(path.name, "column given twice", row=1, column=duplicates[0])
    try:
        return pl.read_csv(
            io.StringIO(text), infer_schema=False, truncate_ragged_lines=False
        )
    except pl.exceptions.PolarsError:
        # Python's reader has just accepted every record (a quote inside an unquoted value,
        # a bare carriage return): read them as it does rather than refuse without a row
        records = list(csv.reader(io.StringIO(text, newline=""), strict=True))
        return pl.DataFrame(records[1:], schema=dict.fromkeys(records[0], pl.String),
                            orient="row")


TRAILING_BLANK_LINES = re.compile(r"(?:\r?\n[ \t]*)+\Z")


def _check_csv_rows(file: str, text: str) -> list[str]:
    """The header, after checking every record has as many fields as it, no record is blank
    and every quote is closed; a fault names its row (records, as a spreadsheet counts)."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    row = 0
    try:
        header = next(reader)
        row = 1
        for row, fields in enumerate(reader, start=2):  # noqa: B007 (row is reported)
            if len(fields) == len(header):
                continue
            if not fields or not "".join(fields).strip():
                raise ExtractError(file, "blank row; remove it", row=row)
            side = "more" if len(fields) > len(header) else "fewer"
            raise ExtractError(
                file, f"has {len(fields)} fields, {side} than the header's {len(header)} "
                "(a missing or extra comma, or a value with a comma that is not quoted)",
                row=row)
    except csv.Error as error:
        raise ExtractError(
            file, f"not a well-formed CSV file ({error}; is a quote left open?)",
            row=row + 1) from error
    return header


def _utc(expr: pl.Expr, dtype: pl.Datetime) -> pl.Expr:
    """A zoned Parquet time as UTC wall-clock time; a naive one is taken to be UTC already."""
    return expr.dt.convert_time_zone("UTC") if dtype.time_zone else expr


def _read_table(path: Path, table: Table, as_of: date | None = None) -> pl.DataFrame:
    raw = _read_raw(path)
    known = {c.name for c in table.columns}
    for name in raw.columns:
        if name not in known:
            raise ExtractError(
                path.name,
                f"unknown column; {table.name} has {', '.join(sorted(known))}",
                row=1,
                column=name,
            )
    for column in table.columns:
        if column.required and column.name not in raw.columns:
            raise ExtractError(path.name, "required column is missing", row=1, column=column.name)
    for name, dtype in raw.schema.items():
        if not _readable_type(dtype):
            raise ExtractError(
                path.name, f"is a Parquet {dtype} column; {table.name}.{name} holds "
                f"{KIND_HINTS.get(table.column(name).kind, 'text')}", row=1, column=name)
    raw = raw.select(
        pl.col(name) if _natively_typed(raw.schema[name], table.column(name))
        else _as_text(pl.col(name), raw.schema[name])
        for name in raw.columns
    )
    raw = raw.with_columns(pl.col(pl.String).str.strip_chars())
    raw = raw.with_columns(pl.when(pl.col(pl.String) != "").then(pl.col(pl.String)))
    typed = raw.select(
        _parse(pl.col(c.name), c, raw.schema[c.name]).alias(c.name)
        for c in table.columns if c.name in raw.columns
    )
    for column in table.columns:
        if column.name in raw.columns:
            _check_column(path.name, raw[column.name], typed[column.name], column)
            _check_range(path.name, raw[column.name], typed[column.name], column, table, as_of)
    _check_key(path.name, typed, table)
    if table.name == "associations":
        _first_bad(path.name, typed, pl.col("person_a") == pl.col("person_b"), "person_b",
                   "a person cannot be associated with themselves")
    if table.name == "memberships" and {"start", "end"} <= set(typed.columns):
        _first_bad(path.name, typed, pl.col("end") < pl.col("start"), "end",
                   "membership ends before it starts")
    return typed


# Parquet types no column of the format holds: nested, binary and interval values are refused
# by name rather than written out as text (a struct read as "{...}", bytes as b'...').
UNREADABLE_TYPES = (pl.List, pl.Array, pl.Struct, pl.Binary, pl.Duration, pl.Time, pl.Object)


def _readable_type(dtype: pl.DataType) -> bool:
    return not isinstance(dtype, UNREADABLE_TYPES)


def _check_range(file: str, raw: pl.Series, typed: pl.Series, column: Column, table: Table,
                 as_of: date | None) -> None:
    """What both databases would store alike and the analysis can use: text within the
    column's limit and without NUL, finite numbers, dates from 1900 to the as-of date."""
    frame = pl.DataFrame({"raw": raw, "typed": typed})
    if typed.dtype == pl.String:
        if column.max_length is not None:
            _first_bad(file, frame, pl.col("typed").str.len_chars() > column.max_length,
                       column.name, f"is longer than {column.max_length} characters, the "
                       "database's limit for this column", "raw")
        _first_bad(file, frame, pl.col("typed").str.contains("\x00", literal=True),
                   column.name, "holds a NUL character", "raw")
    if column.kind in ("date", "datetime"):
        day = pl.col("typed").dt.date() if column.kind == "datetime" else pl.col("typed")
        _first_bad(file, frame, day < EARLIEST, column.name,
                   f"is before {EARLIEST:%Y}: not a date this data can hold", "raw")
        if as_of is not None:
            births = table.name == "people" and column.name == "date_of_birth"
            limit = as_of if births else as_of + TOLERANCE
            what = "a birth after" if births else "after"
            _first_bad(file, frame, day > limit, column.name,
                       f"is {what} the extract's as-of date {as_of} (give the folder an "
                       f"{ABOUT_FILE} declaring a later as_of if the extract is dated later)",
                       "raw")


# Parquet column types that already hold a column's kind: such a column is checked as it is
# rather than written out as text and parsed again (seconds for a million rows).  Every other
# type is read as its text, exactly as a CSV cell would be.
NATIVE_TYPES: dict[str, tuple[type[pl.DataType], ...]] = {
    "date": (pl.Date,),
    "datetime": (pl.Datetime,),
    "float": (pl.Float64, pl.Float32, pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8,
              pl.UInt16, pl.UInt32, pl.UInt64),
}


def _natively_typed(dtype: pl.DataType, column: Column) -> bool:
    return isinstance(dtype, NATIVE_TYPES.get(column.kind, ()))


def _as_text(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    if isinstance(dtype, pl.Datetime):
        return _utc(expr, dtype).dt.strftime("%Y-%m-%dT%H:%M:%S%.f")
    return expr.cast(pl.String)


def _parse(expr: pl.Expr, column: Column, dtype: pl.DataType = pl.String) -> pl.Expr:
    if _natively_typed(dtype, column):
        if column.kind == "datetime":
            assert isinstance(dtype, pl.Datetime)
            # the text round trip kept microseconds, UTC wall-clock time
            utc = _utc(expr, dtype).dt.replace_time_zone(None)
            return utc.cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
        return expr.cast(DTYPES[column.kind])
    if column.kind == "date":
        return expr.str.strptime(pl.Date, "%Y-%m-%d", strict=False)
    if column.kind == "datetime":
        text = expr.str.strip_suffix("Z")
        return pl.coalesce(
            text.str.strptime(pl.Datetime("us"), fmt, strict=False) for fmt in DATETIME_FORMATS
        ).dt.replace_time_zone("UTC")
    if column.kind == "float":
        return expr.cast(pl.Float64, strict=False)
    if column.choices:
        return expr.str.to_lowercase()
    return expr


def _check_column(file: str, raw: pl.Series, typed: pl.Series, column: Column) -> None:
    frame = pl.DataFrame({"raw": raw, "typed": typed})
    if column.required:
        _first_bad(file, frame, pl.col("raw").is_null(), column.name, "value is required", "raw")
    if column.kind in KIND_HINTS:
        _first_bad(
            file, frame, pl.col("raw").is_not_null() & pl.col("typed").is_null(), column.name,
            f"is not {KIND_HINTS[column.kind]}", "raw",
        )
    if column.kind == "float":  # NaN would pass (or fail) the bounds below unnamed
        _first_bad(file, frame, ~pl.col("typed").is_finite(), column.name,
                   "is not a finite number", "raw")
    if column.choices:
        _first_bad(
            file, frame, pl.col("typed").is_not_null() & ~pl.col("typed").is_in(column.choices),
            column.name, f"must be one of {', '.join(column.choices)}", "raw",
        )
    if column.lower is not None:
        _first_bad(file, frame, pl.col("typed") < column.lower, column.name,
                   f"must be at least {column.lower:g}", "raw")
    if column.upper is not None:
        _first_bad(file, frame, pl.col("typed") > column.upper, column.name,
                   f"must be at most {column.upper:g}", "raw")


def _first_bad(
    file: str, frame: pl.DataFrame, bad: pl.Expr, column: str, problem: str,
    show: str | None = None,
) -> None:
    mask = frame.select(bad.fill_null(False)).to_series()
    if mask.any():
        first = int(mask.arg_true()[0])
        shown = frame[show or column].slice(first, 1)
        # a typed Parquet value is shown as the text it would have been read as
        value = (shown if show is None or shown.dtype == pl.String else shown.cast(pl.String))[0]
        raise ExtractError(file, f"{value!r} {problem}" if value is not None else problem,
                           row=first + 2, column=column)


def _check_key(file: str, frame: pl.DataFrame, table: Table) -> None:
    present = [k for k in table.key if k in frame.columns]
    duplicated = frame.with_row_index("_i").filter(pl.struct(present).is_duplicated())
    if duplicated.height:
        first = duplicated.row(0, named=True)
        earlier = duplicated.filter(
            pl.all_horizontal(pl.col(k).eq_missing(first[k]) for k in present)
        )
        rows = ", ".join(str(i + 2) for i in earlier["_i"].head(5))
        raise ExtractError(
            file,
            f"duplicate {' + '.join(present)} {[first[k] for k in present]} (rows {rows})",
            row=int(earlier["_i"][-1]) + 2 if earlier.height else None,
            column=present[0],
        )


def _check_references(extract: Extract, table: Table, file: str,
                      elsewhere: dict[str, pl.Series]) -> None:
    frame = getattr(extract, table.name)
    if frame.height == 0:
        return
    for column, target_table, target_column in table.references:
        known = getattr(extract, target_table).select(pl.col(target_column).alias(column))
        held = elsewhere.get(target_table)
        if held is not None:
            known = pl.concat([known, pl.DataFrame({column: held.cast(pl.String)})])
        # an anti-join finds the unknown references in parallel, is_in in one thread
        unknown = (
            frame.lazy().select(column).with_row_index("_i").drop_nulls(column)
            .join(known.lazy(), on=column, how="anti")
            .sort("_i").head(1).collect()
        )
        if unknown.height:
            raise ExtractError(
                file, f"{unknown[column][0]!r} refers to no {target_column} in {target_table}"
                + (", in this extract or the database" if elsewhere else ""),
                row=int(unknown["_i"][0]) + 2, column=column,
            )
