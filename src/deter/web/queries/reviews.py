"""Reviews that are overdue: a cohort entry still under review (proposed, deferred, active,
stepped down) whose review date has passed without a decision.

The coordinator sees them by name on the programme's page; past the grace period
(``DETER_REVIEW_GRACE_DAYS``) an engaged entry is also suspended from partner-agency view
(``policy.reviews``), and the page says so. The programme's DPO sees them in numbers only.
"""

from datetime import date

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from .. import policy
from ..actions.cohort import UNDER_REVIEW
from ..models import CohortEntry, Programme
from ..policy import reviews


def overdue(user, programme: Programme, today: date | None = None) -> QuerySet[CohortEntry]:
    """The user's visible entries in the programme whose review is overdue, most overdue
    first; each row's ``suspended`` says whether partners have stopped seeing it."""
    today = today or timezone.localdate()
    return (
        policy.entries.visible(user)
        .filter(programme=programme, status__in=UNDER_REVIEW, review_date__lt=today)
        .annotate(suspended=Q(review_date__lt=reviews.suspended_before(today),
                              status__in=policy.grants.ENGAGED_STATUSES))
        .select_related("person", "lead_professional")
        .order_by("review_date", "person__person_id")
    )


def counts(programmes, today: date | None = None) -> dict[int, dict[str, int]]:
    """For the DPO, who sees no names: per programme, how many reviews are overdue and how
    many of them are suspended from partner view. ``programmes`` come from the policy."""
    today = today or timezone.localdate()
    rows = (
        CohortEntry.objects
        .filter(programme__in=programmes, status__in=UNDER_REVIEW, review_date__lt=today)
        .order_by().values("programme")
        .annotate(overdue=Count("pk"), suspended=Count("pk", filter=Q(
            review_date__lt=reviews.suspended_before(today),
            status__in=policy.grants.ENGAGED_STATUSES)))
    )
    return {row["programme"]: {"overdue": row["overdue"], "suspended": row["suspended"]}
            for row in rows}
