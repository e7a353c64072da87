"""Read models for the agreement pages: a programme's versions, one agreement's terms as
words, whose approval is awaited, and who a revocation or expiry affected.

The view asks the policy first (``policy.agreements``); these only assemble what it showed.
"""

from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from .. import policy
from ..domain.data_categories import label
from ..models import (
    AgreementParty,
    CohortEntry,
    DataSharingAgreement,
    Person,
    PersonLink,
    Programme,
    StaffRole,
)

Status = DataSharingAgreement.Status
ENDED = (Status.REVOKED, Status.EXPIRED)
CASE_TEAM = (StaffRole.Role.ANALYST, StaffRole.Role.COORDINATOR, StaffRole.Role.CASEWORKER)
ENGAGED = (CohortEntry.Status.ACTIVE, CohortEntry.Status.STEPPED_DOWN)


@dataclass
class PartyTerms:
    """One party as the agreement page shows it."""

    party: AgreementParty
    lawful_basis: str
    categories: list[str]
    sees: str
    awaiting: bool  # a supplier whose DPO has not yet approved


@dataclass
class Affected:
    """Who lost access when the agreement ended: a party's linked people, and the engaged
    cohort its case team saw."""

    agency: str
    linked: list[Person] = field(default_factory=list)
    case_team_saw: int = 0


@dataclass
class AgreementPage:
    agreement: DataSharingAgreement
    parties: list[PartyTerms]
    missing: list[str]
    awaiting: list[str]
    in_force: bool
    affected: list[Affected] | None  # None: not ended, or not the DPO's to review


def of_programme(user: AbstractBaseUser, programme: Programme
                 ) -> QuerySet[DataSharingAgreement]:
    return policy.agreements.of_programme(user, programme).select_related("created_by")


def _sees(party: AgreementParty) -> str:
    if party.sees_adults and party.sees_children:
        return "Adults and children"
    return "Children only" if party.sees_children else "Adults only"


def party_terms(agreement: DataSharingAgreement) -> list[PartyTerms]:
    parties = agreement.parties.select_related("agency", "approved_by").order_by("agency__name")
    return [PartyTerms(
        party=party,
        lawful_basis=party.get_lawful_basis_display() if party.lawful_basis else "Not given",
        categories=[label(c) for c in party.categories],
        sees=_sees(party),
        awaiting=party.supplies_data and party.approved_at is None,
    ) for party in parties]


def affected_by_end(agreement: DataSharingAgreement) -> list[Affected]:
    """For each party other than the lead agency: the people its open links in the programme
    name (its users saw them through the agreement), and how many engaged people its case
    team (analysts, coordinators, caseworkers) saw."""
    programme = agreement.programme
    engaged = CohortEntry.objects.filter(programme=programme, status__in=ENGAGED).count()
    found = []
    for party in agreement.parties.select_related("agency").order_by("agency__name"):
        if party.agency_id == programme.lead_agency_id:
            continue
        linked = Person.objects.filter(pk__in=PersonLink.objects.filter(
            programme=programme, agency=party.agency, ended_at__isnull=True,
        ).values("person_id")).order_by("person_id")
        has_case_team = StaffRole.objects.filter(agency=party.agency, role__in=CASE_TEAM).exists()
        found.append(Affected(agency=party.agency.name, linked=list(linked),
                              case_team_saw=engaged if has_case_team else 0))
    return found


def page(user: AbstractBaseUser, agreement: DataSharingAgreement) -> AgreementPage:
    parties = party_terms(agreement)
    ended = agreement.status in ENDED
    reviews = ended and policy.programmes.can(user, "see_audit", agreement.programme)
    return AgreementPage(
        agreement=agreement, parties=parties, missing=agreement.missing(),
        awaiting=[p.party.agency.name for p in parties if p.awaiting],
        in_force=DataSharingAgreement.objects.in_force().filter(pk=agreement.pk).exists(),
        affected=affected_by_end(agreement) if reviews else None,
    )


def latest_terms(programme: Programme) -> DataSharingAgreement | None:
    """The newest version, whose terms a new draft starts from."""
    return programme.agreements.order_by("-version").first()


def awaiting_approval(user: AbstractBaseUser) -> QuerySet[DataSharingAgreement]:
    """Agreements waiting on the user's own approval (as a supplier's DPO)."""
    return policy.agreements.instances(user, "approve").order_by("programme__name", "-version")


def overseen(user: AbstractBaseUser, programmes: list[Programme]
             ) -> QuerySet[DataSharingAgreement]:
    """Every version of the agreements of the programmes the DPO oversees."""
    return policy.agreements.visible(user).filter(programme__in=programmes)

