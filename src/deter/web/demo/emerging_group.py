"""The demo's second programme: an emerging street group of children, brought to notice by
anti-social behaviour, run by a partnership like the Kent VRU's (the YEF toolkit's case).

The synthetic county's planted group (``deter.analysis.synth.emerging``) is found by the
analysis but not proposed by it (no violence, no serious offence): the VRU's coordinator
proposes the group and its eight members by hand, with the incidents as evidence. The panel
accepts them all on ``STEPS[0]``, steps down all but a core of three on ``STEPS[1]`` and two
more in October, leaving one child on a plan, as the Kent case narrowed. Each decision is
dated when the panel made it, with the reason it was entered later, through the same actions
a coordinator uses, so the programme report shows the cohort narrowing and the group's
anti-social behaviour before and after.
"""

from collections.abc import Sequence
from datetime import date, timedelta

from django.utils import timezone

from deter.analysis.synth import emerging

from .. import actions
from ..actions import accounts, sharing
from ..actions import programmes as programme_actions
from ..domain.data_categories import Category
from ..models import (
    Agency,
    AnalysisRun,
    CohortEntry,
    CohortGroup,
    Event,
    Person,
    Programme,
    StaffRole,
)
from .world import DemoLogin

PROGRAMME_NAME = "Eastcliffe emerging street group"
AREA = "Eastcliffe"
BTP = "British Transport Police"
COUNCIL = "Eastcliffe District Council"
ADOLESCENT = "Demoshire County Adolescent Team"
MISSING = "Demoshire Missing Children Team"
RAIL = "Coastway Trains"
# name, kind, what its users see under the programme's agreement
PARTNERS = (
    (BTP, Agency.Kind.POLICE, frozenset(Category)),
    (COUNCIL, Agency.Kind.COUNCIL,
     frozenset({Category.IDENTITY, Category.COHORT, Category.INTERVENTIONS})),
    (ADOLESCENT, Agency.Kind.CHILDRENS_SERVICES, frozenset(Category) - {Category.ETHNICITY}),
    (MISSING, Agency.Kind.CHILDRENS_SERVICES, frozenset(Category) - {Category.ETHNICITY}),
    (RAIL, Agency.Kind.COMMUNITY, frozenset({Category.IDENTITY, Category.COHORT})),
)
MINUTES = "Entered from the panel's minutes when the programme moved to Deter"
PROPOSED_ON = date(2025, 12, 1)
ACCEPTED_ON, CORE_ON = emerging.STEPS
ONE_ON = date(2026, 10, 1)


LOGINS = (
    DemoLogin("adolescent", "deter-demo-adolescent", ADOLESCENT,
                  StaffRole.Role.CASEWORKER.value,
                  "Adolescent support worker: lead professional for the Eastcliffe group's "
                  "children", full_name="Jade Harris", job_title="Adolescent support worker"),
    DemoLogin("btp", "deter-demo-btp", BTP, StaffRole.Role.PARTNER.value,
                  "British Transport Police neighbourhood officer (partner) in the Eastcliffe "
                  "programme: the station is the group's meeting place", full_name="Lee Walsh",
              job_title="Neighbourhood police constable"),
)
SUPPORT = ("Adolescent team key worker, weekly; detached youth work at the station on Friday "
           "and Saturday evenings; a place on the football coaching course.")
CONSEQUENCE = ("Further anti-social behaviour brings a Community Protection Warning, then a "
               "Notice, and a visit home with a parent or carer; offending on the railway, "
               "British Transport Police action.")
GROUP_RESPONSE = ("Any member's anti-social behaviour brings attention on the whole group: "
                  "joint patrols by the police and British Transport Police at the station, "
                  "a letter home to every member's family and a licensing check of the "
                  "late-night shop that sells them alcohol.")


def add_emerging_group_programme(run: AnalysisRun, agencies: dict[str, Agency], users: dict,
                                 members: Sequence[str], police: str, vru: str
                                 ) -> list[DemoLogin]:
    """The partnership, its two named users and the programme's year, unless already there.
    ``members`` are the planted children's person ids (``EmergingGroup.members``), the first
    three the core, the first the one left on a plan."""
    people = {p.person_id: p for p in Person.objects.filter(person_id__in=members)}
    if len(people) != len(members) or Programme.objects.filter(name=PROGRAMME_NAME).exists():
        return []
    partners = {name: accounts.provision_agency(None, name=name, kind=kind)
                for name, kind, _ in PARTNERS}
    logins = {login.username: accounts.provision_user(
        None, username=login.username, password=login.password,
        agency=partners[login.agency], role=login.role, full_name=login.full_name,
        job_title=login.job_title) for login in LOGINS}
    coordinator = users["coordinator"]
    programme = programme_actions.create_programme(
        coordinator, name=PROGRAMME_NAME, area=AREA, start=emerging.START,
        problem="An emerging group of 14- to 16-year-olds: anti-social behaviour at the "
                "railway station and the town centre, rising since October",
        agencies=[agencies[vru]],  # the others join as the agreement comes into force
        emphasis=Programme.Emphasis.SUPPORT_LED, uses_call_ins=False)
    programme_actions.set_current_run(coordinator, programme, run.pk)
    _agreement(programme, agencies[police], partners, users)
    entries = [_propose(coordinator, programme, people[pid]) for pid in members]
    label = run.people.filter(person__person_id=members[0]).values_list(
        "group_label", flat=True).first() or emerging.GROUP_ID
    group = actions.propose_group(
        coordinator, programme, label=label, name="The station group", members=entries,
        rationale=f"Found by analysis run {run.pk} from their anti-social behaviour together: "
                  "eight children aged 14 to 16 named together in most incidents at the "
                  "station and the town centre since October.",
        review_date=ACCEPTED_ON, proposed_on=PROPOSED_ON, backdated_reason=MINUTES)
    _narrow(coordinator, logins["adolescent"], programme, group, entries)
    return list(LOGINS)


def _agreement(programme: Programme, police: Agency, partners: dict[str, Agency],
               users: dict) -> None:
    Basis = sharing.AgreementParty.LawfulBasis
    parties = [sharing.PartyTerms(police, supplies_data=True, lawful_basis=Basis.LAW_ENFORCEMENT,
                                  categories=frozenset(Category))]
    parties += [sharing.PartyTerms(partners[name], lawful_basis=Basis.CRIME_AND_DISORDER,
                                   categories=categories)
                for name, _, categories in PARTNERS]
    today = timezone.localdate()
    agreement = sharing.draft_agreement(
        users["coordinator"], programme, title=f"{programme.name}: information sharing",
        purpose_detail="Reducing the anti-social behaviour and the risk of exploitation of an "
                       "emerging group of children, offering them and their families support "
                       "and telling them the consequences, under the Crime and Disorder Act "
                       "1998 s.115.",
        starts=emerging.START, review_date=today + timedelta(days=180),
        ends=today + timedelta(days=365), parties=parties, special_category=True,
        includes_ethnicity=True,
        dpia_reference="DPIA-DEMO-2025-07 (demo)", equality_assessment="EIA-DEMO-2025-07 (demo)",
        privacy_information="Demoshire VRU privacy notice, section 4 (demo)",
        security_arrangements="Deter only; no exports outside the agreement.",
        rights_procedure="Requests and challenges to the VRU's data protection officer.")
    sharing.submit_agreement(users["coordinator"], agreement)
    sharing.approve_agreement(users["dpo"], agreement)


def _propose(coordinator, programme: Programme, person: Person) -> CohortEntry:
    incidents = list(Event.objects.filter(
        involvements__person=person, offence_category=emerging.ASB,
        occurred_at__date__lt=PROPOSED_ON).order_by("-occurred_at")[:3])
    return actions.propose(
        coordinator, programme, person, evidence=incidents,
        rationale=f"Named in {_asb_before(person)} anti-social behaviour incidents since "
                  "October with the others of the station group; aged "
                  f"{person.age_on(PROPOSED_ON)}.",
        review_date=ACCEPTED_ON, proposed_on=PROPOSED_ON, backdated_reason=MINUTES)


def _asb_before(person: Person) -> int:
    return Event.objects.filter(involvements__person=person, offence_category=emerging.ASB,
                                occurred_at__date__lt=PROPOSED_ON).count()


def _narrow(coordinator, lead, programme: Programme, group: CohortGroup,
            entries: list[CohortEntry]) -> None:
    """Accept the group and everyone; step down all but the core, then all but one."""
    review = ACCEPTED_ON + timedelta(days=91)
    actions.decide_group(coordinator, group, CohortEntry.Status.ACTIVE,
                         reason="Agreed at the January panel: the whole group, together",
                         review_date=review, lead_professional=lead, decided_on=ACCEPTED_ON,
                         backdated_reason=MINUTES)
    for entry in entries:
        actions.decide(coordinator, entry, CohortEntry.Status.ACTIVE,
                       reason="Agreed at the January panel with the whole station group",
                       review_date=review, lead_professional=lead, decided_on=ACCEPTED_ON,
                       backdated_reason=MINUTES)
    steps = ((entries[emerging.CORE:], CORE_ON, "No incidents since March; engaging with the "
              "key worker. The core group of three stays on the plan."),
             (entries[1:emerging.CORE], ONE_ON, "No incidents since June; back in school "
              "full time. One member stays on the plan."))
    for stepped, day, reason in steps:
        for entry in stepped:
            actions.decide(coordinator, entry, CohortEntry.Status.STEPPED_DOWN, reason=reason,
                           review_date=day + timedelta(days=91), lead_professional=lead,
                           decided_on=day, backdated_reason=MINUTES)
    last = entries[0]
    last.refresh_from_db()
    actions.update_plan(coordinator, last, support_offer=SUPPORT,
                        enforcement_consequence=CONSEQUENCE, lead_professional=lead,
                        review_date=timezone.localdate() + timedelta(days=91))
    group.refresh_from_db()
    actions.update_group_plan(coordinator, group, group_response=GROUP_RESPONSE,
                              lead_professional=lead,
                              review_date=timezone.localdate() + timedelta(days=91))
