"""The demo's drug-market programme (Project ADDER, issue 16), beside the group-violence one.

The VRU leads it with the police and a treatment provider, whose drug worker is embedded in
custody. The panel accepts the synthetic county's highest-harm adults with drug offences; the
police arrest the first; the drug worker refers each into treatment over the last five months
(from custody, court, prison, diversion, self, GP and outreach), records triage, assessment
and starts, one drop-out and one completion, naloxone and one near-fatal overdose, all
through the actions a provider uses, so the ADDER dashboard has figures for recent months.
Dates are counted back from today. Nothing is added twice.
"""

from datetime import timedelta

from django.db.models import Exists, OuterRef
from django.utils import timezone

from .. import actions
from ..actions import accounts, sharing
from ..actions import drug_market as treatment
from ..actions import programmes as programme_actions
from ..domain.data_categories import Category
from ..domain.people import last_adult_birthday
from ..models import (
    Agency,
    AnalysisRun,
    CohortEntry,
    Event,
    Intervention,
    Involvement,
    Person,
    PersonLink,
    Programme,
    StaffRole,
)
from .world import DemoLogin

PROGRAMME_NAME = "Demoshire drug market (Project ADDER)"
PROVIDER = "Demoshire Recovery Partnership"
SIZE = 8
LOGINS = (
    DemoLogin("drugworker", "deter-demo-drugworker", PROVIDER, StaffRole.Role.PARTNER.value,
              "Drug worker in custody (treatment provider, partner): refers the drug-market "
              "programme's people into treatment and records the episode; only the provider "
              "and the VRU's coordinator see its clinical detail",
              full_name="Nadia Brooks", job_title="Criminal justice drug worker"),
)
PROVIDER_SEES = frozenset({Category.IDENTITY, Category.COHORT, Category.INTERVENTIONS,
                           Category.HEALTH})
# (source, modality or "" for not started, exit) for each person, in order
EPISODES = (
    ("custody", "ost_buprenorphine", None),
    ("court", "ost_methadone", None),
    ("prison", "ost_methadone", "dropped_out"),
    ("police_diversion", "psychosocial", None),
    ("self", "psychosocial", "completed_drug_free"),
    ("custody", "inpatient_detox", None),
    ("gp", "", None),
    ("outreach", "", None),
)
NALOXONE = ("person", "person", "person", "family", "peer")


def add_drug_market_programme(run: AnalysisRun, agencies: dict[str, Agency], users: dict,
                              police: str, vru: str) -> list[DemoLogin]:
    """The provider, its drug worker and the programme's five months, unless already there."""
    if Programme.objects.filter(name=PROGRAMME_NAME).exists():
        return []
    people = _drug_users(run)
    if not people:
        return []
    provider = accounts.provision_agency(None, name=PROVIDER, kind=Agency.Kind.TREATMENT)
    login = LOGINS[0]
    worker = accounts.provision_user(
        None, username=login.username, password=login.password, agency=provider,
        role=login.role, full_name=login.full_name, job_title=login.job_title)
    coordinator = users["coordinator"]
    today = timezone.localdate()
    programme = programme_actions.create_programme(
        coordinator, name=PROGRAMME_NAME, area="Demoshire", start=today - timedelta(days=180),
        problem="An open heroin and crack market in the town centre and the drug-related "
                "offending and deaths around it",
        agencies=[agencies[vru]], emphasis=Programme.Emphasis.SUPPORT_LED,
        uses_call_ins=False, delivery_model=Programme.DeliveryModel.DRUG_MARKET)
    programme_actions.set_current_run(coordinator, programme, run.pk)
    _agreement(programme, agencies[police], provider, users)
    entries = [_accept(coordinator, worker, programme, person) for person in people]
    for entry in entries:
        sharing.record_link(coordinator, programme, agency=provider, person=entry.person,
                            relationship=PersonLink.Relationship.CLIENT,
                            note="Known to the treatment provider")
    actions.add_intervention(
        users["analyst"], entries[0].person, programme, Intervention.Kind.ENFORCEMENT,
        "Arrested for possession with intent to supply", agencies[police],
        status=Intervention.Status.COMPLETED, start=today - timedelta(days=151),
        category=Intervention.Category.ARREST)
    _episodes(worker, entries)
    return list(LOGINS)


def _drug_users(run: AnalysisRun) -> list[Person]:
    """The run's highest-ranked adults with a drug offence as suspect or offender."""
    drugs = Involvement.objects.filter(
        person_id=OuterRef("person_id"), role__in=("suspect", "offender"),
        event__in=Event.objects.filter(offence_category="drugs"))
    scores = (run.people.filter(Exists(drugs),
                                person__date_of_birth__lte=last_adult_birthday(
                                    timezone.localdate()))
              .select_related("person").order_by("rank", "pk")[:SIZE])
    return [score.person for score in scores]


def _agreement(programme: Programme, police: Agency, provider: Agency, users: dict) -> None:
    Basis = sharing.AgreementParty.LawfulBasis
    today = timezone.localdate()
    agreement = sharing.draft_agreement(
        users["coordinator"], programme, title=f"{programme.name}: information sharing",
        purpose_detail="Reducing drug-related harm and offending in the town-centre drug "
                       "market: treatment referral from custody, courts and prison, harm "
                       "reduction and enforcement against supply (Project ADDER).",
        starts=today - timedelta(days=180), review_date=today + timedelta(days=180),
        ends=today + timedelta(days=365), special_category=True, includes_ethnicity=False,
        parties=[sharing.PartyTerms(police, supplies_data=True,
                                    lawful_basis=Basis.LAW_ENFORCEMENT,
                                    categories=frozenset(Category) - {Category.ETHNICITY}),
                 sharing.PartyTerms(provider, lawful_basis=Basis.PUBLIC_TASK,
                                    categories=PROVIDER_SEES)],
        dpia_reference="DPIA-DEMO-ADDER (demo)", equality_assessment="EIA-DEMO-ADDER (demo)",
        privacy_information="Demoshire VRU privacy notice, section 6 (demo)",
        security_arrangements="Deter only; treatment records stay with the provider.",
        rights_procedure="Requests and challenges to the VRU's data protection officer.")
    sharing.submit_agreement(users["coordinator"], agreement)
    sharing.approve_agreement(users["dpo"], agreement)


def _accept(coordinator, worker, programme: Programme, person: Person) -> CohortEntry:
    review = timezone.localdate() + timedelta(days=90)
    entry = actions.propose(
        coordinator, programme, person, review_date=review,
        rationale="A high-harm adult in the drug market: drug offences as suspect or offender "
                  "in the police data, among the highest ranked by harm.")
    actions.decide(coordinator, entry, CohortEntry.Status.ACTIVE,
                   reason="Agreed at the ADDER panel: offered treatment first",
                   review_date=review, lead_professional=worker)
    entry.refresh_from_db()
    return entry


def _episodes(worker, entries: list[CohortEntry]) -> None:
    today = timezone.localdate()
    for i, (entry, (source, modality, exit_reason)) in enumerate(
            zip(entries, EPISODES, strict=False)):
        referred = today - timedelta(days=150 - 15 * i)
        referral = treatment.refer(worker, entry, source=source, referred_on=referred)
        treatment.record_triage(worker, referral, referred + timedelta(days=2))
        treatment.record_assessment(worker, referral, referred + timedelta(days=6))
        if modality:
            started = referred + timedelta(days=10 + i)
            treatment.record_start(worker, referral, started, modality)
            if exit_reason:
                left = started + timedelta(days=20 if exit_reason == "dropped_out" else 70)
                treatment.record_exit(worker, referral, left, exit_reason)
        if i < len(NALOXONE):
            treatment.record_harm_reduction(worker, entry, kind="naloxone",
                                            on=referred + timedelta(days=3),
                                            recipient=NALOXONE[i])
    treatment.record_harm_reduction(worker, entries[-1], kind="near_fatal_overdose",
                                    on=today - timedelta(days=40))
