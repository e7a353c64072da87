"""The ADDER dashboard (issue 16): a drug-market programme's measures for one month.

Counts over the whole programme, never a person, read after the view asked the policy
(``programmes.can(user, "see_adder", programme)``). Each measure carries its definition, shown
on the page beside it. A month is a calendar month; dates are the days recorded (a referral's
``referred_on``, a start's ``started_on``), not when they were typed in.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from ..domain import offences
from ..models import (
    CohortStatus,
    Event,
    HarmReductionRecord,
    Intervention,
    Involvement,
    Programme,
    TreatmentReferral,
)
from ..models.drug_market import CRIMINAL_JUSTICE_SOURCES, RETENTION_PERIOD

HARM = HarmReductionRecord.Kind
IN_COHORT = (CohortStatus.ACTIVE, CohortStatus.STEPPED_DOWN, CohortStatus.EXITED)
OFFENDING = (Involvement.Role.SUSPECT, Involvement.Role.OFFENDER)


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    value: int | float | None
    definition: str
    detail: str = ""  # e.g. "3 of 4 (75%)"


@dataclass
class Dashboard:
    programme: Programme
    month: date  # the first day
    measures: dict[str, Measure] = field(default_factory=dict)

    @property
    def end(self) -> date:
        """The first day of the next month."""
        return next_month(self.month)

    @property
    def previous(self) -> date:
        return (self.month - timedelta(days=1)).replace(day=1)

    @property
    def sections(self) -> list[tuple[str, list[Measure]]]:
        m = self.measures
        return [(title, [m[k] for k in keys]) for title, keys in SECTIONS]


SECTIONS = (
    ("Enforcement", ("arrests", "charges", "trafficking", "weapons")),
    ("Referrals into treatment", ("cjs_referrals", "referrals")),
    ("Treatment", ("starts", "waiting", "retention")),
    ("Harm reduction", ("naloxone", "overdoses", "deaths")),
)


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def parse_month(text: str | None) -> date | None:
    """``2026-11`` as the first of November 2026; ``None`` for anything else."""
    if not text:
        return timezone.localdate().replace(day=1)
    try:
        year, month = (int(part) for part in text.split("-"))
        return date(year, month, 1)
    except ValueError:
        return None


def _in(field_name: str, month: date) -> Q:
    return Q(**{f"{field_name}__gte": month, f"{field_name}__lt": next_month(month)})


def _enforcement(programme: Programme, month: date) -> list[Measure]:
    interventions = Intervention.objects.filter(
        _in("start", month), programme=programme, kind=Intervention.Kind.ENFORCEMENT,
        person__isnull=False)
    arrests = interventions.filter(category=Intervention.Category.ARREST).count()
    charges = interventions.filter(category=Intervention.Category.CHARGE).count()
    return [
        Measure("arrests", "Arrests", arrests,
                "Arrests of people in the programme's cohort recorded as enforcement "
                "interventions, by the day they were made (the intervention's start)."),
        Measure("charges", "Charges", charges,
                "Charges of people in the cohort recorded as enforcement interventions, by "
                "the day they were made."),
        Measure("trafficking", "Drug trafficking offences",
                _offences(programme, month, offences.trafficking("event__")),
                "Recorded offences with the Home Office code for trafficking in controlled "
                "drugs (92A) in which a person accepted into the cohort was a suspect or "
                "offender, by the day the offence occurred. Each offence counts once."),
        Measure("weapons", "Weapons possession offences",
                _offences(programme, month, offences.weapons("event__")),
                "Recorded offences in the Home Office group 'Possession of weapons offences' "
                "(10A, 10B, 10C, 10D, 81, 90; or police.uk's 'possession of weapons' where no "
                "code is recorded) in which a person accepted into the cohort was a suspect or "
                "offender, by the day the offence occurred. Each offence counts once."),
    ]


def _offences(programme: Programme, month: date, which: Q) -> int:
    cohort = programme.cohort.filter(status__in=IN_COHORT).values("person_id")
    start, end = (timezone.make_aware(datetime.combine(day, time.min))
                  for day in (month, next_month(month)))
    involved = Involvement.objects.filter(which, person__in=cohort, role__in=OFFENDING,
                                          event__occurred_at__gte=start,
                                          event__occurred_at__lt=end)
    return Event.objects.filter(pk__in=involved.values("event_id")).count()


def _referrals(programme: Programme, month: date) -> list[Measure]:
    referred = TreatmentReferral.objects.filter(_in("referred_on", month), programme=programme)
    return [
        Measure("cjs_referrals", "Referrals from the criminal justice system",
                referred.filter(source__in=CRIMINAL_JUSTICE_SOURCES).count(),
                "Referrals into treatment made in the month whose source is police custody, a "
                "court, a prison or a police diversion scheme."),
        Measure("referrals", "All referrals into treatment", referred.count(),
                "Referrals into treatment made in the month, from any source (including self, "
                "GP and outreach)."),
    ]


def _treatment(programme: Programme, month: date) -> list[Measure]:
    episodes = TreatmentReferral.objects.filter(programme=programme)
    started = list(episodes.filter(_in("started_on", month))
                   .values_list("referred_on", "started_on"))
    waits = [(start - referred).days for referred, start in started]
    due = _due_for_retention(episodes, month)
    retained = sum(1 for r in due if r.retained_at_12_weeks())
    return [
        Measure("starts", "Treatment starts", len(started),
                "Treatment episodes whose first treatment intervention was in the month."),
        Measure("waiting", "Median waiting time (days)",
                statistics.median(waits) if waits else None,
                "For the month's treatment starts, the median number of days from the referral "
                "to the first treatment intervention."),
        Measure("retention", "Retained at 12 weeks",
                retained if due else None,
                "Of the episodes whose twelfth week after the treatment start ended in the "
                "month, those still in treatment then, or that left before it having completed "
                "treatment (drug-free or with continued prescribing).",
                detail=f"{retained} of {len(due)} ({retained / len(due):.0%})" if due else ""),
    ]


def _due_for_retention(episodes: QuerySet[TreatmentReferral], month: date,
                       ) -> list[TreatmentReferral]:
    """Episodes whose 12-week point falls in the month and is not after today."""
    today = timezone.localdate()
    last = min(next_month(month) - timedelta(days=1), today)
    if last < month:
        return []
    return list(episodes.filter(started_on__gte=month - RETENTION_PERIOD,
                                started_on__lte=last - RETENTION_PERIOD)
                .only("started_on", "exited_on", "exit_reason"))


def _harm(programme: Programme, month: date) -> list[Measure]:
    records = HarmReductionRecord.objects.filter(_in("on", month), programme=programme)
    counts = {kind: 0 for kind in HARM.values}
    recipients = {r: 0 for r in HarmReductionRecord.Recipient.values}
    for kind, recipient in records.values_list("kind", "recipient"):
        counts[kind] += 1
        if kind == HARM.NALOXONE:
            recipients[recipient] += 1
    given = ", ".join(f"{HarmReductionRecord.Recipient(r).label.lower()}: {n}"
                      for r, n in recipients.items())
    return [
        Measure("naloxone", "Naloxone kits supplied", counts[HARM.NALOXONE],
                "Naloxone kits recorded as supplied in the month for people in the cohort, "
                "whether given to the person, a family member or a peer.",
                detail=f"Given to {given}" if counts[HARM.NALOXONE] else ""),
        Measure("overdoses", "Near-fatal overdoses", counts[HARM.NEAR_FATAL_OVERDOSE],
                "Near-fatal overdoses of people in the cohort recorded in the month, by the day "
                "of the overdose."),
        Measure("deaths", "Drug-related deaths", counts[HARM.DRUG_RELATED_DEATH],
                "Drug-related deaths of people in the cohort recorded in the month, by the day "
                "of death."),
    ]


def build(programme: Programme, month: date) -> Dashboard:
    dashboard = Dashboard(programme, month)
    for measure in (*_enforcement(programme, month), *_referrals(programme, month),
                    *_treatment(programme, month), *_harm(programme, month)):
        dashboard.measures[measure.key] = measure
    return dashboard
