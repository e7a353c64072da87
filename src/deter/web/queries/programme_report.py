"""The programme report: did it work? (issue 13)

Three parts, each a table the page, the PDF and the charts share:

* **The cohort over time**, by calendar month from the programme's start: people *entered*
  (a decision accepting them, to active, that month), *stepped down* and *exited* (decisions
  that month), and *active* (active at the month's end, replaying every decision), and the
  groups active at the month's end. This is how a cohort narrows: a whole group, then a core
  group, then one person.
* **Before and after acceptance**, for every person and group accepted (their first decision
  to active): offender harm (the harm table's weight, undecayed) and the number of anti-social
  behaviour incidents, as suspect or offender, in equal windows either side of the day they
  were accepted: the ``window`` days before, and as many days after as have passed since, up
  to ``window``. A group's counts are its members' events, each event once.
* **Delivery against the plan**, by intervention category: interventions planned (recorded)
  and delivered (reached engaged, in force or completed), a recurring intervention's
  occurrences planned and attended, and the operations' counted results.

Who sees what (``policy.programmes``): ``see_report`` (the coordinator, police and VRU
analysts) sees every part, naming groups and people; ``see_report_aggregates`` (anyone in the
programme) the monthly counts and delivery only, with counts under ``DETER_SUPPRESS_BELOW``
shown as "fewer than N". The view asks the policy first; this module reads the whole
programme, as the delivery summary does.
"""

from __future__ import annotations

import base64
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import polars as pl
from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from deter.analysis.harm import event_harm
from deter.analysis.harm_tables import DEFAULT_TABLE, HarmTable, asb_table, load_harm_table

from .. import policy
from ..domain import intervention_catalogue as catalogue
from ..models import (
    CohortDecision,
    CohortEntry,
    CohortGroup,
    CohortStatus,
    Intervention,
    InterventionUpdate,
    Involvement,
    Occurrence,
    OperationOutcome,
    Programme,
)

Status = CohortStatus
WINDOW_DAYS = 365
DELIVERED = (Intervention.Status.ENGAGED, Intervention.Status.ACTIVE,
             Intervention.Status.COMPLETED)
OFFENDING = (Involvement.Role.SUSPECT, Involvement.Role.OFFENDER)
OPERATION_FIELDS = ("fixed_penalties", "seizures", "weapons_found", "arrests")


@dataclass
class Month:
    month: date  # the first of the month
    entered: int = 0
    stepped_down: int = 0
    exited: int = 0
    active: int = 0
    groups_active: int = 0


@dataclass
class BeforeAfter:
    """One person or group: harm and ASB in the ``days`` before and after acceptance."""

    kind: str  # "person" or "group"
    pk: int
    label: str
    accepted: date
    days: int
    members: int = 1
    harm_before: float = 0.0
    harm_after: float = 0.0
    asb_before: int = 0
    asb_after: int = 0
    offences_before: int = 0
    offences_after: int = 0


@dataclass
class DeliveryRow:
    category: str
    label: str
    planned: int = 0
    delivered: int = 0
    occurrences: int = 0
    attended: int = 0


@dataclass
class Report:
    programme: Programme
    today: date
    named: bool  # the full report (see_report) or the aggregates only
    suppress_below: int
    table: HarmTable
    months: list[Month]
    people: list[BeforeAfter] = field(default_factory=list)
    groups: list[BeforeAfter] = field(default_factory=list)
    delivery: list[DeliveryRow] = field(default_factory=list)
    operations: dict[str, int] = field(default_factory=dict)
    seized: list[str] = field(default_factory=list)

    def shown(self, count: int) -> str:
        """A count as this reader may see it."""
        if not self.named and 0 < count < self.suppress_below:
            return f"fewer than {self.suppress_below}"
        return f"{count:,}"


def build(programme: Programme, *, named: bool, today: date | None = None,
          table: HarmTable | None = None) -> Report:
    """The report for a reader the view has authorised (``named``: ``see_report``)."""
    today = today or timezone.localdate()
    table = table or harm_table(programme)
    report = Report(programme=programme, today=today, named=named,
                    suppress_below=settings.DETER_SUPPRESS_BELOW, table=table,
                    months=cohort_months(programme, today))
    report.delivery = delivery(programme)
    if named:
        report.people, report.groups = before_after(programme, today, table)
        report.operations, report.seized = operations(programme)
    return report


def harm_table(programme: Programme) -> HarmTable:
    """The harm table of the run the programme works from (``policy.runs.current``: the one
    its scores used), else the default."""
    run = policy.runs.current(programme)
    spec = (run.config or {}).get("harm_table", DEFAULT_TABLE) if run else DEFAULT_TABLE
    try:
        return load_harm_table(spec)
    except (OSError, ValueError):  # a user table no longer on disk: ExtractError is one too
        return load_harm_table(DEFAULT_TABLE)


# --- the cohort over time ----------------------------------------------------------------------


def month_starts(first: date, last: date) -> list[date]:
    months, day = [], first.replace(day=1)
    while day <= last:
        months.append(day)
        day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return months


def _month_end(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _local_day(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def cohort_months(programme: Programme, today: date) -> list[Month]:
    last = min(today, programme.end) if programme.end else today
    rows = [Month(m) for m in month_starts(programme.start, last)]
    decisions = list(
        CohortDecision.objects.filter(entry__programme=programme)
        .order_by("decided_at", "pk").values_list("entry_id", "to_status", "decided_at"))
    group_decisions = list(
        CohortDecision.objects.filter(group__programme=programme)
        .order_by("decided_at", "pk").values_list("group_id", "to_status", "decided_at"))
    counters = {Status.ACTIVE: "entered", Status.STEPPED_DOWN: "stepped_down",
                Status.EXITED: "exited"}
    accepted: set[int] = set()
    for entry, to_status, at in decisions:
        name = counters.get(to_status)
        if name == "entered" and entry in accepted:
            continue  # back to active after a step-down is not a new entry
        accepted.update([entry] if name == "entered" else [])
        _count(rows, _local_day(at), name)
    for row in rows:
        end = _month_end(row.month)
        row.active = _status_at(decisions, end).count(Status.ACTIVE)
        row.groups_active = _status_at(group_decisions, end).count(Status.ACTIVE)
    return rows


def _count(rows: list[Month], day: date, name: str | None) -> None:
    if name is None:
        return
    for row in rows:
        if row.month <= day <= _month_end(row.month):
            setattr(row, name, getattr(row, name) + 1)


def _status_at(decisions: list[tuple], day: date) -> list[str]:
    """Each subject's status after its last decision on or before ``day``."""
    status: dict[int, str] = {}
    for subject, to_status, at in decisions:
        if _local_day(at) <= day:
            status[subject] = to_status
    return list(status.values())


# --- before and after acceptance ---------------------------------------------------------------


def _accepted_on(decisions) -> dict[int, date]:
    first: dict[int, date] = {}
    for subject, at in decisions:
        first.setdefault(subject, _local_day(at))
    return first


def accepted_entries(programme: Programme) -> dict[int, date]:
    """Each accepted entry's key and the day it was accepted: its first decision to active
    (the evaluation page reads the cohort the same way)."""
    return _accepted_on(
        CohortDecision.objects.filter(entry__programme=programme, to_status=Status.ACTIVE)
        .order_by("decided_at", "pk").values_list("entry_id", "decided_at"))


def before_after(programme: Programme, today: date,
                 table: HarmTable) -> tuple[list[BeforeAfter], list[BeforeAfter]]:
    entries = {e.pk: e for e in CohortEntry.objects.filter(programme=programme)
               .select_related("person")}
    entry_accepted = accepted_entries(programme)
    group_accepted = _accepted_on(
        CohortDecision.objects.filter(group__programme=programme, to_status=Status.ACTIVE)
        .order_by("decided_at", "pk").values_list("group_id", "decided_at"))
    events = _offending_events(programme, table)
    people = []
    for entry_pk, accepted in entry_accepted.items():
        entry = entries[entry_pk]
        row = BeforeAfter("person", entry.person_id, entry.person.person_id, accepted,
                          window_days(accepted, today))
        _fill(row, events.filter(pl.col("person") == entry.person_id))
        people.append(row)
    groups = []
    members = defaultdict(set)
    for entry in entries.values():
        if entry.group_id:
            members[entry.group_id].add(entry.person_id)
    for group in CohortGroup.objects.filter(pk__in=list(group_accepted)):
        accepted = group_accepted[group.pk]
        row = BeforeAfter("group", group.pk, str(group), accepted, window_days(accepted, today),
                          members=len(members[group.pk]))
        mine = events.filter(pl.col("person").is_in(list(members[group.pk])))
        _fill(row, mine.unique("event", keep="first"))
        groups.append(row)
    return (sorted(people, key=lambda r: (r.accepted, r.label)),
            sorted(groups, key=lambda r: (r.accepted, r.label)))


def window_days(accepted: date, today: date) -> int:
    """The days either side of acceptance a before-and-after comparison uses: as many as
    have passed since, up to a year."""
    return max(0, min(WINDOW_DAYS, (today - accepted).days))


def _offending_events(programme: Programme, table: HarmTable) -> pl.DataFrame:
    """Every event a cohort member is suspect or offender at: person, event, day, weight,
    asb."""
    return offending_events(table, person__cohort_entries__programme=programme)


def offending_events(table: HarmTable, **where) -> pl.DataFrame:
    """Every event at which the people ``where`` selects (``Involvement`` lookups) are suspect
    or offender, movements left out: person, event, day, offence code and category, harm
    weight (undecayed) and asb."""
    rows = list(
        Involvement.objects.filter(role__in=OFFENDING, **where)
        .exclude(event__source__startswith="movement-")
        .values_list("person_id", "event_id", "event__occurred_at", "event__offence_code",
                     "event__offence_category"))
    frame = pl.DataFrame(
        [(p, e, _local_day(at), code or None, category or None)
         for p, e, at, code, category in rows],
        schema={"person": pl.Int64, "event": pl.Int64, "day": pl.Date,
                "offence_code": pl.String, "offence_category": pl.String}, orient="row")
    asb = asb_table()["incident_category"].to_list()
    harmed = event_harm(frame, table)
    category = pl.col("offence_category").str.to_lowercase().str.replace_all(r"[-_\s]+", " ")
    return harmed.with_columns(category.str.strip_chars().is_in(asb).fill_null(False)
                               .alias("asb"))


def _fill(row: BeforeAfter, events: pl.DataFrame) -> None:
    start = row.accepted - timedelta(days=row.days)
    end = row.accepted + timedelta(days=row.days)
    before = events.filter((pl.col("day") >= start) & (pl.col("day") < row.accepted))
    after = events.filter((pl.col("day") >= row.accepted) & (pl.col("day") < end))
    row.harm_before = float(before["harm_weight"].sum())
    row.harm_after = float(after["harm_weight"].sum())
    row.asb_before, row.asb_after = int(before["asb"].sum()), int(after["asb"].sum())
    row.offences_before, row.offences_after = before.height, after.height


# --- delivery against the plan -----------------------------------------------------------------


def delivery(programme: Programme) -> list[DeliveryRow]:
    interventions = Intervention.objects.filter(programme=programme)
    delivered = set(
        InterventionUpdate.objects.filter(intervention__programme=programme,
                                          status__in=DELIVERED)
        .values_list("intervention_id", flat=True))
    rows: dict[str, DeliveryRow] = {}
    for pk, category in interventions.values_list("pk", "category"):
        row = rows.setdefault(category, DeliveryRow(
            category, catalogue.category_label(category) or "No category"))
        row.planned += 1
        row.delivered += pk in delivered
    occurrences = Occurrence.objects.filter(
        schedule__intervention__programme=programme).exclude(
        outcome=Occurrence.Outcome.CANCELLED).values_list(
        "schedule__intervention__category", "outcome")
    for category, outcome in occurrences:
        row = rows[category]
        row.occurrences += 1
        row.attended += outcome == Occurrence.Outcome.ATTENDED
    return sorted(rows.values(), key=lambda r: r.label)


def operations(programme: Programme) -> tuple[dict[str, int], list[str]]:
    outcomes = OperationOutcome.objects.filter(intervention__programme=programme)
    totals = outcomes.aggregate(**{name: Sum(name) for name in OPERATION_FIELDS})
    seized = sorted({s for s in outcomes.values_list("seized", flat=True) if s}
                    | {w for w in outcomes.values_list("weapons", flat=True) if w})
    return {name: totals[name] or 0 for name in OPERATION_FIELDS}, seized


# --- the report as tables and charts: one definition for the page and the PDF --------------


@dataclass
class Table:
    key: str
    title: str
    headers: list[str]
    rows: list[list[str]]
    note: str = ""


def _number(value: float) -> str:
    return f"{value:,.1f}".removesuffix(".0")


def _change(before: float, after: float) -> str:
    if before == 0:
        return "no change" if after == 0 else "up from none"
    return f"{(after - before) / before:+.0%}"


def tables(report: Report) -> list[Table]:
    shown = report.shown
    found = [Table(
        "cohort", "The cohort by month",
        ["Month", "Entered", "Stepped down", "Exited", "Active at the month's end",
         "Groups active"],
        [[f"{m.month:%b %Y}", shown(m.entered), shown(m.stepped_down), shown(m.exited),
          shown(m.active), shown(m.groups_active)] for m in report.months],
        "Entered: accepted into the cohort (to active) that month; a return to active after a "
        "step-down is not counted again.")]
    unit = report.table.unit
    for key, title, rows in (("groups", "Groups before and after acceptance", report.groups),
                             ("people", "People before and after acceptance", report.people)):
        if not report.named:
            continue
        found.append(Table(
            key, title,
            ["Name" if key == "groups" else "Person", "Accepted", "Days each side",
             f"Harm before ({unit})", f"Harm after ({unit})", "Change", "ASB before",
             "ASB after", "Offences before", "Offences after"],
            [[r.label + (f" ({r.members} members)" if key == "groups" else ""),
              f"{r.accepted:%d %b %Y}", str(r.days), _number(r.harm_before),
              _number(r.harm_after), _change(r.harm_before, r.harm_after), str(r.asb_before),
              str(r.asb_after), str(r.offences_before), str(r.offences_after)] for r in rows],
            f"As suspect or offender, in the same number of days before and after the day of "
            f"acceptance (up to {WINDOW_DAYS}); harm undecayed, weighted by "
            f"{report.table.name} (version {report.table.version})."))
    found.append(Table(
        "delivery", "Delivery against the plan, by category",
        ["Category", "Planned", "Delivered", "Share delivered", "Occurrences planned",
         "Attended"],
        [[d.label, shown(d.planned), shown(d.delivered),
          f"{d.delivered / d.planned:.0%}" if report.named or d.planned >= report.suppress_below
          else "–", shown(d.occurrences), shown(d.attended)] for d in report.delivery],
        "Planned: every intervention recorded; delivered: reached engaged, in force or "
        "completed. Occurrences: a recurring intervention's visits, cancelled ones left out."))
    if report.named and report.operations:
        ops = report.operations
        found.append(Table(
            "operations", "What operations found",
            ["Fixed penalties", "Seizures", "Weapons found", "Arrests", "What was seized"],
            [[str(ops["fixed_penalties"]), str(ops["seizures"]), str(ops["weapons_found"]),
              str(ops["arrests"]), "; ".join(report.seized) or "–"]]))
    return found


def charts(report: Report, as_png: bool = False) -> dict[str, str | bytes]:
    """The report's charts, SVG for the page and PNG for the PDF."""
    from deter.analysis import charts as drawing

    months = [f"{m.month:%b %Y}" for m in report.months]
    drawn: dict[str, str | bytes] = {}
    if report.named:
        drawn["cohort"] = drawing.cohort_chart(months, {
            "active": [m.active for m in report.months],
            "entered": [m.entered for m in report.months],
            "left": [m.stepped_down + m.exited for m in report.months],
            "groups": [m.groups_active for m in report.months]}, as_png=as_png)
        subjects = report.groups + report.people
        if subjects:
            labels = [r.label for r in subjects]
            drawn["asb"] = drawing.before_after_chart(
                labels, [r.asb_before for r in subjects], [r.asb_after for r in subjects],
                "anti-social behaviour incidents", as_png=as_png)
            drawn["harm"] = drawing.before_after_chart(
                labels, [r.harm_before for r in subjects], [r.harm_after for r in subjects],
                f"harm ({report.table.unit})", as_png=as_png)
    return drawn


def chart_images(report: Report) -> list[dict[str, str]]:
    """The SVG charts as data URIs for ``<img>`` (the page's CSP allows ``data:`` images, and
    an image's own styles stay inside it), each with its alternative text."""
    alts = {"cohort": "Line and bar chart of the cohort by month; the table below has the "
                      "same numbers",
            "asb": "Bar chart of anti-social behaviour incidents before and after acceptance "
                   "for each group and person; the tables below have the same numbers",
            "harm": "Bar chart of harm before and after acceptance for each group and person; "
                    "the tables below have the same numbers"}
    return [{"name": name, "alt": alts[name],
             "src": "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()}
            for name, svg in charts(report).items()]


def summary_lines(report: Report) -> list[str]:
    """The report's opening lines, for the page's heading area and the PDF."""
    last = report.months[-1] if report.months else None
    lines = [f"{report.programme.area}; from {report.programme.start:%d %B %Y}; "
             f"as of {report.today:%d %B %Y}."]
    if last is not None:
        lines.append(f"Active at the end of {last.month:%B %Y}: "
                     f"{report.shown(last.active)} people, {report.shown(last.groups_active)} "
                     "groups.")
    if report.named:
        before = sum(r.asb_before for r in report.people)
        after = sum(r.asb_after for r in report.people)
        lines.append(f"ASB incidents by the people accepted, summed over them (an incident "
                     f"naming three of them counts three times; the groups' rows count it "
                     f"once): {before} before acceptance, {after} after (equal windows).")
    else:
        lines.append("Aggregates only: counts under "
                     f"{report.suppress_below} are not shown.")
    return lines
