"""Overdue reviews in the access policy: an entry whose review date passed more than the grace
period ago (``DETER_REVIEW_GRACE_DAYS``, 28 by default) without a decision is suspended from
partner-agency view until the panel reviews it.

Only partner-agency users (``Role.PARTNER``) lose sight of it. Analysts and coordinators see
every entry; caseworkers keep seeing it, since they bring the case back to the panel.
A decision that keeps the person in the cohort sets a new review date in the future, which
ends the suspension.
"""

from datetime import date, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone


def grace_days() -> int:
    return settings.DETER_REVIEW_GRACE_DAYS


def suspended_before(today: date | None = None) -> date:
    """Entries whose review date is before this day are suspended from partner view."""
    return (today or timezone.localdate()) - timedelta(days=grace_days())


def suspended(today: date | None = None) -> Q:
    """Entries overdue for review beyond the grace period (only engaged entries have a
    review date that matters to partners: they see no others)."""
    return Q(review_date__lt=suspended_before(today))

