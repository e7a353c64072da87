"""Is what was promised being delivered? The programme's delivery summary.

Counts of interventions by kind and status; the median days from referral to engagement and
the share of referrals that engaged, by category; orders in force and those expiring soon;
recent breaches; and every active cohort entry with no support intervention or no consequence
of further violence on their plan ("a list with no defined intervention" is what failed in
Chicago).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from statistics import median

from django.db.models import Count, Exists, OuterRef
from django.utils import timezone

from .. import policy
from ..domain import intervention_catalogue as catalogue
from ..models import (
    CohortEntry,
    CohortStatus,
    Intervention,
    InterventionUpdate,
    OrderBreach,
    Programme,
)

Kind = Intervention.Kind
Status = Intervention.Status
EXPIRING_WITHIN_DAYS = 28
RECENT_BREACH_DAYS = 90
# A support intervention that was declined or closed is no longer an offer of help.
LIVE_SUPPORT = (Status.PLANNED, Status.REFERRED, Status.ACCEPTED, Status.ENGAGED,
                Status.COMPLETED)


@dataclass
class EngagementRow:
    category: str
    label: str
    referred: int = 0
    engaged: int = 0
    days: list[int] = field(default_factory=list)

    @property
    def share_engaged(self) -> float | None:
        return self.engaged / self.referred if self.referred else None

    @property
    def median_days(self) -> float | None:
        return median(self.days) if self.days else None


def engagement(interventions) -> tuple[list[EngagementRow], EngagementRow]:
    """Per category and overall: referrals, how many engaged, median days to engagement."""
    firsts: dict[int, dict[str, date]] = defaultdict(dict)
    categories: dict[int, str] = {}
    updates = (
        InterventionUpdate.objects.filter(
            intervention__in=interventions.values("pk"),
            status__in=(Status.REFERRED, Status.ENGAGED),
        )
        .order_by("on", "pk")
        .values_list("intervention_id", "intervention__category", "status", "on")
    )
    for intervention_id, category, status, on in updates:
        firsts[intervention_id].setdefault(status, on)
        categories[intervention_id] = category
    rows: dict[str, EngagementRow] = {}
    overall = EngagementRow("", "All categories")
    for intervention_id, first in firsts.items():
        if Status.REFERRED not in first:
            continue
        category = categories[intervention_id]
        row = rows.setdefault(
            category, EngagementRow(category, catalogue.category_label(category) or "No category")
        )
        for target in (row, overall):
            target.referred += 1
            if Status.ENGAGED in first:
                target.engaged += 1
                target.days.append((first[Status.ENGAGED] - first[Status.REFERRED]).days)
    return sorted(rows.values(), key=lambda r: r.label), overall


@dataclass
class Delivery:
    counts: list[dict]
    statuses: list[tuple[str, str]]
    engagement_rows: list[EngagementRow]
    engagement_overall: EngagementRow
    orders_in_force: list[Intervention]
    orders_expiring: list[Intervention]
    recent_breaches: list[OrderBreach]
    without_support: list[CohortEntry]
    without_consequence: list[CohortEntry]
    today: date


def summarise(user, programme: Programme) -> Delivery:
    today = timezone.localdate()
    interventions = Intervention.objects.filter(programme=programme)
    by_kind = defaultdict(dict)
    for row in interventions.values("kind", "status").annotate(n=Count("pk")):
        by_kind[row["kind"]][row["status"]] = row["n"]
    counts = [
        {"kind": label, "cells": [by_kind[kind].get(s, 0) for s in Status.values],
         "total": sum(by_kind[kind].values())}
        for kind, label in Kind.choices
    ]
    rows, overall = engagement(interventions.filter(kind__in=catalogue.REFERRAL_KINDS))
    orders = (
        interventions.filter(kind=Kind.ENFORCEMENT, category__in=catalogue.ORDER_CATEGORIES,
                             status=Status.ACTIVE)
        .select_related("person", "group", "agency").order_by("expires", "pk")
    )
    expiring = [o for o in orders
                if o.expires and today <= o.expires <= today + timedelta(EXPIRING_WITHIN_DAYS)]
    breaches = (
        OrderBreach.objects.filter(intervention__programme=programme,
                                   occurred_on__gte=today - timedelta(RECENT_BREACH_DAYS))
        .select_related("intervention", "intervention__person").order_by("-occurred_on", "-pk")
    )
    live_support = Intervention.objects.filter(
        programme=programme, person_id=OuterRef("person_id"), kind=Kind.SUPPORT,
        status__in=LIVE_SUPPORT,
    )
    active = (
        policy.entries.visible(user)
        .filter(programme=programme, status=CohortStatus.ACTIVE)
        .annotate(has_support=Exists(live_support))
        .select_related("person", "lead_professional").order_by("person__person_id")
    )
    active = list(active)
    return Delivery(
        counts=counts,
        statuses=list(Status.choices),
        engagement_rows=rows,
        engagement_overall=overall,
        orders_in_force=list(orders),
        orders_expiring=expiring,
        recent_breaches=list(breaches),
        without_support=[e for e in active if not e.has_support],
        without_consequence=[e for e in active if not e.enforcement_consequence.strip()],
        today=today,
    )
