"""Load a validated extract into the database: all of it in one transaction, or nothing.

An import is incremental (ADR 17): a later extract (the weekly refresh) adds the records the
database does not hold and updates those it holds whose fields changed, each table matched on
its key (``deter.analysis.extract.TABLES``: a person by ``person_id``, an involvement by event,
person and role, an association by both people, kind and date, a membership by person, group
and start). A record the extract does not mention is kept as it is: an extract is what a
force sends, not the whole truth. A column a file does not give keeps what the database holds.

``deter.analysis.extract`` has already checked the extract on its own (``read_extract(...,
references=False)`` for an import); here its references are checked against the extract and
the database together, so a new event may name a person imported last month, and a reference
to neither is refused by file, row and column. Places already held are reused.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from django.db import connection, transaction

from deter.analysis.extract import Extract, ExtractError, check_references

from .. import audit
from ..actions import group_response
from ..models import (
    Association,
    Event,
    Involvement,
    Location,
    Membership,
    Person,
    RecordedGroup,
)
from .dataset import CHUNK, query_frame, query_keys

BATCH = 5000
ID = pl.Int64
TEXT = pl.String


@dataclass(frozen=True)
class Change:
    """What an import did to one table."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def written(self) -> int:
        return self.added + self.updated

    def __str__(self) -> str:
        return f"{self.added:,} added, {self.updated:,} updated, {self.unchanged:,} unchanged"


@dataclass(frozen=True)
class ImportSummary:
    source: str
    changes: dict[str, Change]

    @property
    def counts(self) -> dict[str, int]:
        """Records written (added or updated) per table."""
        return {name: change.written for name, change in self.changes.items()}

    @property
    def changed(self) -> bool:
        return any(change.written for change in self.changes.values())

    def as_detail(self) -> dict[str, dict[str, int]]:
        return {name: {"added": c.added, "updated": c.updated, "unchanged": c.unchanged}
                for name, c in self.changes.items()}

    def lines(self) -> list[str]:
        return [f"{name}: {change}" for name, change in self.changes.items()]

    def __str__(self) -> str:
        shown = {n: c for n, c in self.changes.items() if c.written or c.unchanged}
        if not shown:
            return "nothing: the extract holds no records"
        text = "; ".join(f"{name} {change}" for name, change in shown.items())
        return text if self.changed else f"nothing changed ({text})"


def load_extract(extract: Extract, source: str, actor=None) -> ImportSummary:
    """Add and update every table of ``extract``; raise ExtractError (and change nothing) on
    a reference to a record neither the extract nor the database holds."""
    with transaction.atomic():
        check_references(extract, _held_elsewhere(extract))
        changes: dict[str, Change] = {}
        changes["people"] = _people(extract)
        people = _id_map(Person, "person_id", _people_named(extract))
        changes["events"] = _events(extract, source)
        events = _id_map(Event, "event_id", extract.involvements["event_id"])
        changes["involvements"] = _involvements(extract.involvements, events, people)
        changes["associations"] = _associations(extract, people)
        changes["groups"] = _groups(extract)
        groups = _id_map(RecordedGroup, "group_id", extract.memberships["group_id"])
        changes["memberships"] = _memberships(extract, people, groups)
        summary = ImportSummary(source, changes)
        audit.record(actor, "import_extract", "extract", source[:80],
                     changes=summary.as_detail(), **summary.counts)
        # New events may be violence by members of active cohort groups.
        group_response.raise_flags()
    return summary


# --- matching the extract with what is held ---------------------------------------------------


def _diff(extract: Extract, table: str, held: pl.DataFrame, key: list[str],
          fields: list[str]) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """The extract's rows of ``table`` that are new (``pk`` null), those held whose fields
    differ (with ``pk``), and how many are held unchanged. ``held`` has ``pk``, ``key`` and
    ``fields``; a field the extract's file did not give takes the held value."""
    incoming = getattr(extract, table)
    given = set(extract.columns_given(table))
    held = held.unique(subset=key, keep="first", maintain_order=True)
    joined = incoming.join(held, on=key, how="left", nulls_equal=True, suffix="_db",
                           maintain_order="left")
    joined = joined.with_columns(
        pl.when(pl.col("pk").is_not_null()).then(pl.col(f"{f}_db")).otherwise(pl.col(f))
        .alias(f)
        for f in fields if f not in given
    )
    new = joined.filter(pl.col("pk").is_null())
    old = joined.filter(pl.col("pk").is_not_null())
    if fields:
        old = old.with_columns(
            pl.any_horizontal(pl.col(f).ne_missing(pl.col(f"{f}_db")) for f in fields)
            .alias("_changed"))
    else:
        old = old.with_columns(pl.lit(False).alias("_changed"))
    changed = old.filter(pl.col("_changed"))
    return new, changed, old.height - changed.height


def _bulk(model, objects) -> list:
    return model.objects.bulk_create(objects, batch_size=BATCH)


def _update(model, objects: list, fields: list[str]) -> int:
    if objects:
        model.objects.bulk_update(objects, fields, batch_size=BATCH)
    return len(objects)


def _id_map(model, field: str, keys) -> dict[str, int]:
    """Each of ``keys`` held -> its database id (earlier imports included: ids never clash)."""
    keys = sorted(set(keys) - {None})
    found: dict[str, int] = {}
    for i in range(0, len(keys), CHUNK):
        found.update(model.objects.filter(**{f"{field}__in": keys[i:i + CHUNK]})
                     .values_list(field, "id"))
    return found


def _people_named(extract: Extract) -> set[str]:
    return set(extract.people["person_id"]) | set(extract.involvements["person_id"]) | set(
        extract.associations["person_a"]) | set(extract.associations["person_b"]) | set(
        extract.memberships["person_id"])


def _held_elsewhere(extract: Extract) -> dict[str, pl.Series]:
    """The records the extract's references name that its own tables do not hold but the
    database does (``check_references`` refuses any other)."""
    named = {
        "people": (Person, "person_id", _people_named(extract) - set(extract.people["person_id"])),
        "events": (Event, "event_id",
                   set(extract.involvements["event_id"]) - set(extract.events["event_id"])),
        "groups": (RecordedGroup, "group_id",
                   set(extract.memberships["group_id"]) - set(extract.groups["group_id"])),
    }
    return {table: pl.Series(list(_id_map(model, field, keys)), dtype=TEXT)
            for table, (model, field, keys) in named.items()}


def _text(value) -> str:
    return value or ""


# --- one table each ---------------------------------------------------------------------------

PERSON_FIELDS = ["date_of_birth", "sex", "ethnicity"]


def _people(extract: Extract) -> Change:
    held = query_keys(
        "SELECT id, person_id, date_of_birth, NULLIF(sex, ''), NULLIF(ethnicity, '') "
        "FROM deter_person WHERE person_id IN ({keys})",
        {"pk": ID, "person_id": TEXT, "date_of_birth": pl.Date, "sex": TEXT,
         "ethnicity": TEXT}, extract.people["person_id"])
    new, changed, same = _diff(extract, "people", held, ["person_id"], PERSON_FIELDS)

    def person(r, pk=None):
        return Person(pk=pk, person_id=r["person_id"], date_of_birth=r["date_of_birth"],
                      sex=_text(r["sex"]), ethnicity=_text(r["ethnicity"]))

    _bulk(Person, (person(r) for r in new.iter_rows(named=True)))
    updated = _update(Person, [person(r, r["pk"]) for r in changed.iter_rows(named=True)],
                      PERSON_FIELDS)
    return Change(new.height, updated, same)


PLACE = ["latitude", "longitude", "lsoa_code"]
EVENT_FIELDS = ["occurred_at", "offence_code", "offence_category", *PLACE]


def _events(extract: Extract, source: str) -> Change:
    held = query_keys(
        "SELECT e.id, e.event_id, e.occurred_at, NULLIF(e.offence_code, ''), "
        "NULLIF(e.offence_category, ''), l.latitude, l.longitude, NULLIF(l.lsoa_code, '') "
        "FROM deter_event e LEFT JOIN deter_location l ON l.id = e.location_id "
        "WHERE e.event_id IN ({keys})",
        {"pk": ID, "event_id": TEXT, "occurred_at": pl.Datetime("us", "UTC"),
         "offence_code": TEXT, "offence_category": TEXT, "latitude": pl.Float64,
         "longitude": pl.Float64, "lsoa_code": TEXT}, extract.events["event_id"])
    new, changed, same = _diff(extract, "events", held, ["event_id"], EVENT_FIELDS)
    places = _locations(pl.concat([new.select(PLACE), changed.select(PLACE)]))

    def located(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.join(places, on=PLACE, how="left", nulls_equal=True,
                          maintain_order="left")

    def event(r, pk=None):
        return Event(pk=pk, event_id=r["event_id"], occurred_at=r["occurred_at"],
                     offence_code=_text(r["offence_code"]),
                     offence_category=_text(r["offence_category"]),
                     location_id=r["location_pk"], source=source[:64])

    _bulk(Event, (event(r) for r in located(new).iter_rows(named=True)))
    updated = _update(Event, [event(r, r["pk"]) for r in located(changed).iter_rows(named=True)],
                      ["occurred_at", "offence_code", "offence_category", "location", "source"])
    return Change(new.height, updated, same)


def _locations(wanted: pl.DataFrame) -> pl.DataFrame:
    """Each distinct place of ``wanted`` with its id: a place already held is reused (the
    importer names places by these three fields, never a description), the rest inserted."""
    places = (
        wanted.filter(pl.any_horizontal(pl.col(k).is_not_null() for k in PLACE))
        .unique(maintain_order=True)
    )
    select = ("SELECT id, latitude, longitude, NULLIF(lsoa_code, '') FROM deter_location "
              "WHERE description = '' AND ")
    types = {"location_pk": ID, "latitude": pl.Float64, "longitude": pl.Float64,
             "lsoa_code": TEXT}
    held = pl.concat([
        query_keys(select + "latitude IN ({keys})", types, places["latitude"]),
        query_keys(select + "latitude IS NULL AND lsoa_code IN ({keys})", types,
                   places.filter(pl.col("latitude").is_null())["lsoa_code"]),
        query_frame(select + "latitude IS NULL AND lsoa_code = ''", types)
        if places.filter(pl.col("latitude").is_null() & pl.col("lsoa_code").is_null()).height
        else pl.DataFrame(schema=types),
    ]).unique(subset=PLACE, keep="first", maintain_order=True)
    known = places.join(held, on=PLACE, how="left", nulls_equal=True, maintain_order="left")
    missing = known.filter(pl.col("location_pk").is_null()).select(PLACE)
    created = _bulk(Location, (
        Location(latitude=r["latitude"], longitude=r["longitude"], lsoa_code=_text(r["lsoa_code"]))
        for r in missing.iter_rows(named=True)
    ))
    if missing.height and created[0].pk is None:
        raise RuntimeError(f"{connection.vendor} did not return ids from bulk_create")
    added = missing.with_columns(pl.Series("location_pk", [loc.pk for loc in created],
                                           dtype=ID))
    return pl.concat([known.filter(pl.col("location_pk").is_not_null()), added])


def _involvements(involvements: pl.DataFrame, events, people) -> Change:
    held = query_keys(
        "SELECT id, event_id, person_id, role FROM deter_involvement WHERE event_id IN ({keys})",
        {"pk": ID, "event_pk": ID, "person_pk": ID, "role": TEXT}, events.values())
    incoming = involvements.with_columns(
        pl.col("event_id").replace_strict(events, return_dtype=ID).alias("event_pk"),
        pl.col("person_id").replace_strict(people, return_dtype=ID).alias("person_pk"),
    ) if involvements.height else involvements.with_columns(
        pl.lit(None, ID).alias("event_pk"), pl.lit(None, ID).alias("person_pk"))
    joined = incoming.join(held, on=["event_pk", "person_pk", "role"], how="left",
                           maintain_order="left")
    new = joined.filter(pl.col("pk").is_null())
    _bulk(Involvement, (
        Involvement(event_id=e, person_id=p, role=role)
        for e, p, role in new.select("event_pk", "person_pk", "role").iter_rows()
    ))
    return Change(new.height, 0, joined.height - new.height)


ASSOCIATION_FIELDS = ["weight", "source"]


def _associations(extract: Extract, people) -> Change:
    held = query_keys(
        "SELECT s.id, a.person_id, b.person_id, s.kind, s.observed_at, s.weight, "
        "NULLIF(s.source, '') FROM deter_association s "
        "JOIN deter_person a ON a.id = s.person_a_id JOIN deter_person b ON b.id = s.person_b_id "
        "WHERE s.person_a_id IN ({keys})",
        {"pk": ID, "person_a": TEXT, "person_b": TEXT, "kind": TEXT, "observed_at": pl.Date,
         "weight": pl.Float64, "source": TEXT},
        [people[p] for p in set(extract.associations["person_a"])])
    key = ["person_a", "person_b", "kind", "observed_at"]
    new, changed, same = _diff(extract, "associations", held, key, ASSOCIATION_FIELDS)

    def association(r, pk=None):
        return Association(pk=pk, person_a_id=people[r["person_a"]],
                           person_b_id=people[r["person_b"]], kind=r["kind"],
                           weight=r["weight"], observed_at=r["observed_at"],
                           source=_text(r["source"]))

    _bulk(Association, (association(r) for r in new.iter_rows(named=True)))
    updated = _update(Association,
                      [association(r, r["pk"]) for r in changed.iter_rows(named=True)],
                      ASSOCIATION_FIELDS)
    return Change(new.height, updated, same)


GROUP_FIELDS = ["name", "kind"]


def _groups(extract: Extract) -> Change:
    held = query_keys(
        "SELECT id, group_id, NULLIF(name, ''), NULLIF(kind, '') FROM deter_recordedgroup "
        "WHERE group_id IN ({keys})",
        {"pk": ID, "group_id": TEXT, "name": TEXT, "kind": TEXT}, extract.groups["group_id"])
    new, changed, same = _diff(extract, "groups", held, ["group_id"], GROUP_FIELDS)

    def group(r, pk=None):
        return RecordedGroup(pk=pk, group_id=r["group_id"], name=_text(r["name"]),
                             kind=_text(r["kind"]))

    _bulk(RecordedGroup, (group(r) for r in new.iter_rows(named=True)))
    updated = _update(RecordedGroup, [group(r, r["pk"]) for r in changed.iter_rows(named=True)],
                      GROUP_FIELDS)
    return Change(new.height, updated, same)


MEMBERSHIP_FIELDS = ["end", "source", "confidence"]


def _memberships(extract: Extract, people, groups) -> Change:
    held = query_keys(
        'SELECT m.id, p.person_id, g.group_id, m.start, m."end", NULLIF(m.source, \'\'), '
        "m.confidence FROM deter_membership m JOIN deter_person p ON p.id = m.person_id "
        "JOIN deter_recordedgroup g ON g.id = m.group_id WHERE m.person_id IN ({keys})",
        {"pk": ID, "person_id": TEXT, "group_id": TEXT, "start": pl.Date, "end": pl.Date,
         "source": TEXT, "confidence": pl.Float64},
        [people[p] for p in set(extract.memberships["person_id"])])
    key = ["person_id", "group_id", "start"]
    new, changed, same = _diff(extract, "memberships", held, key, MEMBERSHIP_FIELDS)

    def membership(r, pk=None):
        return Membership(pk=pk, person_id=people[r["person_id"]], group_id=groups[r["group_id"]],
                          start=r["start"], end=r["end"], source=_text(r["source"]),
                          confidence=r["confidence"])

    _bulk(Membership, (membership(r) for r in new.iter_rows(named=True)))
    updated = _update(Membership, [membership(r, r["pk"]) for r in changed.iter_rows(named=True)],
                      MEMBERSHIP_FIELDS)
    return Change(new.height, updated, same)


def database_is_empty() -> bool:
    return not (Person.objects.exists() or Event.objects.exists())


__all__ = ["Change", "ImportSummary", "load_extract", "database_is_empty", "ExtractError"]
