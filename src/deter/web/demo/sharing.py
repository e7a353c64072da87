"""The demo programme's data-sharing agreement and the school's links to its pupils, made
through the same actions a coordinator and the data protection officers use."""

from datetime import date, timedelta

from django.db.models import Q
from django.utils import timezone

from ..actions import sharing
from ..domain.data_categories import HEALTH_CATEGORIES, Category
from ..domain.people import last_adult_birthday
from ..models import (
    Agency,
    CohortEntry,
    DataSharingAgreement,
    Intervention,
    Meeting,
    PersonLink,
    Programme,
)
from . import cohort as demo_cohort

C = Category
Basis = sharing.AgreementParty.LawfulBasis
PUPILS = 2

# what each party's users may see: the police and children's social care run the cases; the
# school sees its own pupils' place in the programme, their plan and the support recorded
SCHOOL_CATEGORIES = frozenset({C.IDENTITY, C.COHORT, C.INTERVENTIONS, C.SAFEGUARDING})
CARE_CATEGORIES = frozenset(C) - {C.ETHNICITY}
# what the evaluation extract draws on, pseudonymised (ethnicity for disproportionality)
EVALUATION_CATEGORIES = frozenset({C.IDENTITY, C.COHORT, C.INTERVENTIONS, C.ETHNICITY})


def add_demo_agreement(programme: Programme, agencies: dict[str, Agency], users: dict,
                       police: str, care: str, school: str) -> DataSharingAgreement:
    """Draft, submit and approve version 1, unless the programme already has one."""
    existing = programme.agreements.order_by("-version").first()
    if existing is not None:
        return existing
    today = timezone.localdate()
    parties = [
        sharing.PartyTerms(agencies[police], supplies_data=True,
                           lawful_basis=Basis.LAW_ENFORCEMENT, categories=frozenset(C)),
        sharing.PartyTerms(agencies[care], supplies_data=True,
                           lawful_basis=Basis.CHILDREN_ACT, categories=CARE_CATEGORIES),
        sharing.PartyTerms(agencies[school], lawful_basis=Basis.CRIME_AND_DISORDER,
                           categories=SCHOOL_CATEGORIES, sees_adults=False),
    ]
    agreement = sharing.draft_agreement(
        users["coordinator"], programme, title=f"{programme.name}: information sharing",
        purpose_detail="Identifying the people and groups driving serious violence, offering "
                       "them support, telling them the consequences of further violence and "
                       "delivering both, under the Serious Violence Duty.",
        starts=today - timedelta(days=1), review_date=today + timedelta(days=365),
        ends=today + timedelta(days=2 * 365), parties=parties, special_category=True,
        includes_ethnicity=True,
        dpia_reference="DPIA-DEMO-2026-01 (demo)",
        equality_assessment="EIA-DEMO-2026-01 (demo)",
        privacy_information="Demoshire VRU privacy notice, section 4 (demo)",
        security_arrangements="Deter only; no exports outside the agreement; accounts "
                              "reviewed monthly.",
        rights_procedure="Requests and challenges to the VRU's data protection officer; "
                         "decided within 28 days by someone other than the original decider.",
    )
    sharing.submit_agreement(users["coordinator"], agreement)
    for dpo in ("dpo", "dpo-care"):
        sharing.approve_agreement(users[dpo], agreement)
    return agreement


def add_demo_links(programme: Programme, users: dict, school: Agency, review: date) -> int:
    """The school's two pupils: active children in the cohort, those with a health or an
    enforcement intervention recorded by another agency first, so the demo shows what the
    school's agreement withholds. The synthetic people age with the calendar: where fewer
    than two of the active are still children, the panel also accepts the highest-ranked
    proposed children (the school asked for them to be offered support)."""
    if PersonLink.objects.filter(programme=programme, agency=school).exists():
        return 0
    born = last_adult_birthday(timezone.localdate())
    children = list(CohortEntry.objects
                    .filter(programme=programme, status=CohortEntry.Status.ACTIVE,
                            person__date_of_birth__gt=born)
                    .select_related("person").order_by("-person__date_of_birth", "pk"))
    if len(children) < PUPILS:
        children += _accept_proposed_children(programme, users, born, review,
                                              PUPILS - len(children))
    withheld = set(Intervention.objects.filter(programme=programme).filter(
        Q(kind=Intervention.Kind.ENFORCEMENT) | Q(category__in=HEALTH_CATEGORIES))
        .values_list("person_id", flat=True))
    children.sort(key=lambda entry: entry.person_id not in withheld)  # stable: youngest next
    for entry in children[:PUPILS]:
        sharing.record_link(users["coordinator"], programme, agency=school,
                            person=entry.person, relationship=PersonLink.Relationship.PUPIL,
                            note="On roll at the academy")
    return min(len(children), PUPILS)


def _accept_proposed_children(programme: Programme, users: dict, born: date, review: date,
                              wanted: int) -> list[CohortEntry]:
    panel = (Meeting.objects.filter(programme=programme, kind=Meeting.Kind.PANEL)
             .order_by("held_at", "pk").first())
    # proposals were made in rank order, so the lowest keys are the highest-ranked
    proposed = list(CohortEntry.objects
                    .filter(programme=programme, status=CohortEntry.Status.PROPOSED,
                            person__date_of_birth__gt=born)
                    .select_related("person").order_by("pk")[:wanted])
    for entry in proposed:
        demo_cohort.accept(entry, "Accepted at the demo panel: a child among the proposals, "
                           "whose school works with the programme to offer support.",
                           review, users, panel)
    return proposed


def add_demo_evaluation_agreement(programme: Programme, agencies: dict[str, Agency],
                                  users: dict, police: str, care: str, university: str
                                  ) -> DataSharingAgreement:
    """The university's evaluation agreement: it receives only the pseudonymised export (no
    category of record on any page), supplied by the police and children's social care."""
    Purpose = DataSharingAgreement.Purpose
    existing = programme.agreements.filter(purpose=Purpose.EVALUATION).first()
    if existing is not None:
        return existing
    today = timezone.localdate()
    parties = [
        sharing.PartyTerms(agencies[police], supplies_data=True,
                           lawful_basis=Basis.LAW_ENFORCEMENT, categories=EVALUATION_CATEGORIES),
        sharing.PartyTerms(agencies[care], supplies_data=True,
                           lawful_basis=Basis.CHILDREN_ACT, categories=EVALUATION_CATEGORIES),
        sharing.PartyTerms(agencies[university], lawful_basis=Basis.PUBLIC_TASK,
                           categories=frozenset()),
    ]
    agreement = sharing.draft_agreement(
        users["coordinator"], programme, purpose=Purpose.EVALUATION, includes_ethnicity=True,
        title=f"{programme.name}: independent evaluation",
        purpose_detail="Evaluating whether the programme reduced serious violence, from a "
                       "pseudonymised extract with dates coarsened and small cells suppressed.",
        starts=today - timedelta(days=1), review_date=today + timedelta(days=365),
        ends=today + timedelta(days=3 * 365), parties=parties,
        dpia_reference="DPIA-DEMO-2026-02 (demo)",
        equality_assessment="EIA-DEMO-2026-01 (demo)",
        privacy_information="Demoshire VRU privacy notice, section 6: research (demo)",
        security_arrangements="The export only, downloaded by named evaluators; no attempt "
                              "to re-identify anyone.",
        rights_procedure="As the delivery agreement: requests to the VRU's data protection "
                         "officer.",
    )
    sharing.submit_agreement(users["coordinator"], agreement)
    for dpo in ("dpo", "dpo-care"):
        sharing.approve_agreement(users[dpo], agreement)
    return agreement
