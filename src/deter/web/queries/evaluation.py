"""The evaluation export: one pseudonymised, coarsened, k-anonymous row per cohort entry of a
programme, a summary with small cells suppressed, and a README and manifest saying what was
done (ADR 10).

``build(agreement, as_of)`` reads the whole programme, as the fairness page does, after the
caller has asked the policy (``policy.evaluations.can(user, "export", agreement)``, in
``actions.evaluation``). It never writes a person's police id, name, address, date of birth
or any exact date: each entry is keyed by ``domain.anonymity.pseudonym`` under the agreement's
key; its entry date is a quarter (or coarser), its age a band, its offence counts bands.

- **The entry date** is the day the panel first accepted the person (the first decision to
  active); for someone never accepted, the day of the first decision about them (their
  proposal). Offences (as suspect or offender) and victimisations are counted over the 12
  months before that day and the 12 months from it (or to today, if sooner).
- **Quasi-identifiers**: entry period, age band at the entry date, sex, and ethnicity where
  the agreement includes it. They are coarsened and rare rows suppressed until every
  combination is shared by ``DETER_K_ANONYMITY`` rows (``domain.anonymity.anonymise``).
- **The summary** counts the released rows by status and each quasi-identifier; counts from 1
  to ``DETER_SUPPRESS_BELOW - 1`` are shown as "fewer than N", and where a status has only one
  such cell in a table, its next smallest is suppressed too, so no cell can be found from the
  others by subtraction.
"""

from __future__ import annotations

import io
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

import polars as pl
from django.conf import settings
from django.db.models import Min, Q
from django.utils import timezone

from deter.analysis.extract import OFFENDING_ROLES

from ..domain import anonymity as anon
from ..models import CohortEntry, CohortStatus, DataSharingAgreement, Intervention, Involvement

WINDOW = timedelta(days=365)
INTERVENTION_KINDS = tuple(Intervention.Kind.values)
PEOPLE_FILE, SUMMARY_FILE, README_FILE, MANIFEST_FILE = (
    "people.csv", "summary.csv", "README.md", "manifest.json")
COLUMNS = {
    "pseudonym": "the person's pseudonym: the same in every export under this agreement, "
                 "unrelated to any other",
    "entry_period": "when the person entered the programme (first accepted, or if never, "
                    "first considered by the panel)",
    "age_band": "age at the entry date, in years",
    "sex": "sex as recorded by the police",
    "ethnicity": "ethnicity as recorded by the police",
    "status": "cohort status today",
    **{f"interventions_{kind}": f"{label.lower()} interventions in the programme (10 or more "
                                f"shown as 10+)"
       for kind, label in Intervention.Kind.choices},
    "offences_12m_before": "offences (as suspect or offender) in the 12 months before entry",
    "offences_12m_after": "offences in the 12 months from entry (or to today)",
    "victimisations_12m_before": "times recorded as a victim in the 12 months before entry",
    "victimisations_12m_after": "times recorded as a victim in the 12 months from entry",
    "months_followed_after": "how much of the 12 months after entry has passed",
}


@dataclass
class EvaluationExport:
    agreement: DataSharingAgreement
    anonymised: anon.Anonymised
    columns: list[str]
    files: dict[str, bytes] = field(default_factory=dict)
    entries: int = 0

    @property
    def manifest(self) -> dict:
        return json.loads(self.files[MANIFEST_FILE])


# --- reading ---------------------------------------------------------------------------------


def _entry_rows(programme_pk: int) -> list[dict]:
    # a person removed after an upheld challenge should never have been listed: not exported
    return list(
        CohortEntry.objects.filter(programme_id=programme_pk)
        .exclude(status=CohortStatus.REMOVED)
        .annotate(accepted=Min("decisions__decided_at",
                               filter=Q(decisions__to_status=CohortStatus.ACTIVE)),
                  considered=Min("decisions__decided_at"))
        .values("person_id", "status", "accepted", "considered", "person__person_id",
                "person__date_of_birth", "person__sex", "person__ethnicity")
    )


def _intervention_counts(programme_pk: int, people: list[int]) -> dict[int, Counter]:
    counts: dict[int, Counter] = defaultdict(Counter)
    for person, kind in Intervention.objects.filter(
            programme_id=programme_pk, person_id__in=people).values_list("person_id", "kind"):
        counts[person][kind] += 1
    return counts


def _involvements(people: list[int]) -> dict[int, list[tuple[date, bool]]]:
    """Each person's involvements: (day, as offender?), victim and offending roles only."""
    found: dict[int, list[tuple[date, bool]]] = defaultdict(list)
    for person, role, at in Involvement.objects.filter(
            person_id__in=people, role__in=(*OFFENDING_ROLES, "victim")
    ).values_list("person_id", "role", "event__occurred_at"):
        found[person].append((timezone.localdate(at), role in OFFENDING_ROLES))
    return found


# --- one row ---------------------------------------------------------------------------------


def _window_counts(events: list[tuple[date, bool]], entered: date | None, today: date) -> dict:
    if entered is None:
        return {name: anon.UNKNOWN for name in (
            "offences_12m_before", "offences_12m_after", "victimisations_12m_before",
            "victimisations_12m_after", "months_followed_after")}
    before = [o for day, o in events if entered - WINDOW <= day < entered]
    after = [o for day, o in events if entered <= day < min(entered + WINDOW, today + timedelta(1))]
    months = (today.year - entered.year) * 12 + today.month - entered.month \
        - (today.day < entered.day)
    return {
        "offences_12m_before": anon.count_band(sum(before)),
        "offences_12m_after": anon.count_band(sum(after)),
        "victimisations_12m_before": anon.count_band(len(before) - sum(before)),
        "victimisations_12m_after": anon.count_band(len(after) - sum(after)),
        "months_followed_after": anon.months_band(max(months, 0)),
    }


def _row(entry: dict, key: str, ethnicity: bool, interventions: Counter,
         events: list[tuple[date, bool]], today: date) -> dict[str, str]:
    moment = entry["accepted"] or entry["considered"]
    entered = timezone.localdate(moment) if moment else None
    row = {
        "pseudonym": anon.pseudonym(key, entry["person__person_id"]),
        "entry_period": anon.quarter(entered),
        "age_band": anon.fine_age_band(anon.age_on(entry["person__date_of_birth"],
                                                   entered or today)),
        "sex": entry["person__sex"] or anon.UNKNOWN,
    }
    if ethnicity:
        row["ethnicity"] = (entry["person__ethnicity"] or "").strip() or "not recorded"
    row["status"] = entry["status"]
    row |= {f"interventions_{kind}": anon.top_coded(interventions[kind])
            for kind in INTERVENTION_KINDS}
    return row | _window_counts(events, entered, today)


# --- the summary -----------------------------------------------------------------------------


def _suppressed(counts: dict[str, int], below: int) -> dict[str, str]:
    """Counts of 1 to ``below - 1`` as "fewer than N"; a lone such cell takes the next
    smallest non-zero cell with it."""
    small = {v for v, n in counts.items() if 0 < n < below}
    if len(small) == 1:
        others = sorted((n, v) for v, n in counts.items() if n >= below)
        if others:
            small.add(others[0][1])
    return {v: f"fewer than {below}" if v in small else str(n) for v, n in counts.items()}


def _summary(rows: list[dict[str, str]], names: tuple[str, ...], below: int) -> pl.DataFrame:
    lines = []
    for name in names:
        values = sorted({row[name] for row in rows})
        for status in CohortStatus.values:
            counts = Counter(row[name] for row in rows if row["status"] == status)
            shown = _suppressed({v: counts[v] for v in values}, below)
            lines += [{"characteristic": name, "value": v, "status": status, "count": shown[v]}
                      for v in values]
    return pl.DataFrame(lines, schema={"characteristic": pl.String, "value": pl.String,
                                       "status": pl.String, "count": pl.String})


# --- the files -------------------------------------------------------------------------------


def _csv(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_csv(buffer)
    return buffer.getvalue()


def _manifest(export: EvaluationExport, today: date, below: int) -> dict:
    result, agreement = export.anonymised, export.agreement
    return {
        "programme": agreement.programme.name,
        "agreement": {"title": agreement.title, "version": agreement.version,
                      "purpose": agreement.purpose,
                      "includes_ethnicity": agreement.includes_ethnicity},
        "exported_in": f"{today:%Y-%m}",
        "entries": export.entries,
        "rows_released": len(result.rows),
        "rows_suppressed": result.suppressed,
        "max_rows_suppressed": result.max_suppressed,
        "quasi_identifiers": list(result.quasi_identifiers),
        "k_required": result.k_required,
        "k": result.k,
        "levels": {name: anon.QUASI_IDENTIFIERS[name].labels[level]
                   for name, level in result.levels.items()},
        "generalised": [{"column": c, "from": a, "to": b} for c, a, b in result.generalised()],
        "summary_suppress_below": below,
        "columns": {name: COLUMNS[name] for name in export.columns},
        "pseudonym": "first 16 hex digits of the HMAC-SHA256 of the police's pseudonymous id, "
                     "under a key Deter holds for this agreement and never exports",
    }


def _readme(manifest: dict) -> str:
    k, required = manifest["k"], manifest["k_required"]
    achieved = (f"**k = {k}**: every combination of the quasi-identifiers is shared by at least "
                f"{k} rows (required: {required})." if k is not None else
                f"**No rows released**: fewer than {required} people could be released "
                "without someone being singled out.")
    generalised = "".join(f"- `{g['column']}`: coarsened from {g['from']} to {g['to']}\n"
                          for g in manifest["generalised"]) or "- nothing: every column is " \
                                                                "at its finest level\n"
    columns = "".join(f"- `{name}`: {text}\n" for name, text in manifest["columns"].items())
    agreement, below = manifest["agreement"], manifest["summary_suppress_below"]
    return f"""# Evaluation export: {manifest["programme"]}

Under the evaluation agreement "{agreement["title"]}" (version {agreement["version"]}), \
exported in {manifest["exported_in"]}. This is pseudonymised personal data: keep it as the \
agreement says, and do not try to identify anyone.

## k-anonymity

Quasi-identifiers: {", ".join(f"`{q}`" for q in manifest["quasi_identifiers"])}.

{achieved}

Coarsened to reach it:

{generalised}
Rows suppressed (withheld whole, because their combination stayed rarer than {required}): \
{manifest["rows_suppressed"]} of {manifest["entries"]}. At most \
{manifest["max_rows_suppressed"]} may be suppressed; beyond that, columns are coarsened \
instead.

## Files

- `{PEOPLE_FILE}`: one row for each person released, in pseudonym order.
- `{SUMMARY_FILE}`: the released rows counted by status and each quasi-identifier. Counts \
from 1 to {below - 1} are shown as "fewer than {below}", and where a status has only one \
such count in a table, its next smallest is shown so too, so that none can be found by \
subtraction.
- `{MANIFEST_FILE}`: the facts of this README, for a program.

## Columns of {PEOPLE_FILE}

{columns}
The pseudonym is the {manifest["pseudonym"]}. The same person has the same pseudonym in every \
export under this agreement and its later versions, and an unrelated one in any other export.

No name, address, police id, date of birth or exact date is in this export.
"""


def build(agreement: DataSharingAgreement, key: str, as_of: date | None = None,
          k: int | None = None) -> EvaluationExport:
    """The export's files for ``agreement`` under pseudonym ``key`` (the caller's: it is
    never written into them)."""
    today = as_of or timezone.localdate()
    k = settings.DETER_K_ANONYMITY if k is None else k
    below = settings.DETER_SUPPRESS_BELOW
    programme_pk = agreement.programme_id
    ethnicity = agreement.includes_ethnicity
    entries = _entry_rows(programme_pk)
    people = [e["person_id"] for e in entries]
    interventions = _intervention_counts(programme_pk, people)
    involvements = _involvements(people)
    rows = [_row(e, key, ethnicity, interventions[e["person_id"]],
                 involvements[e["person_id"]], today) for e in entries]
    names = ("entry_period", "age_band", "sex", *(("ethnicity",) if ethnicity else ()))
    result = anon.anonymise(rows, names, k)
    result.rows.sort(key=lambda row: row["pseudonym"])
    columns = [c for c in COLUMNS if c != "ethnicity" or ethnicity]
    export = EvaluationExport(agreement, result, columns, entries=len(entries))
    people_frame = pl.DataFrame([[row[c] for c in columns] for row in result.rows],
                                schema={c: pl.String for c in columns}, orient="row")
    manifest = _manifest(export, today, below)
    export.files = {
        PEOPLE_FILE: _csv(people_frame),
        SUMMARY_FILE: _csv(_summary(result.rows, names, below)),
        README_FILE: _readme(manifest).encode(),
        MANIFEST_FILE: (json.dumps(manifest, indent=2) + "\n").encode(),
    }
    return export
