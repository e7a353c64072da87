"""Small factories and the shared world for the web and browser tests.

The world, in the healthchecks style: a programme partnered by a police force, the VRU,
children's social care and a school; its people at every cohort status; and a stranger, a
housing association user whose agency is in no programme and "should have no access to
anyone".
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth.models import User
from django.utils import timezone

from deter.web.domain.data_categories import Category
from deter.web.ingest import runs
from deter.web.models import (
    Agency,
    AgreementParty,
    AnalysisRun,
    CohortEntry,
    DataSharingAgreement,
    Event,
    FoundGroup,
    Involvement,
    Person,
    PersonLink,
    PersonScore,
    Programme,
    StaffProfile,
    StaffRole,
)

CCHI_DAYS = {
    "violence and sexual offences": 365.0,
    "robbery": 365.0,
    "possession of weapons": 20.0,
    "burglary": 40.0,
    "drugs": 10.0,
}
OFFENCE_CODES = {
    "violence and sexual offences": "5A",
    "robbery": "34B",
    "possession of weapons": "10A",
    "burglary": "28E",
    "drugs": "92D",
}
Role = StaffRole.Role
Status = CohortEntry.Status


def make_agency(name: str, kind: str = Agency.Kind.POLICE) -> Agency:
    return Agency.objects.create(name=name, kind=kind)


def make_user(username: str, agency: Agency | None = None, role: str | None = None,
              **extra) -> User:
    user = User.objects.create_user(username=username, password=f"{username}-password-123",
                                    **extra)
    if agency is not None and role is not None:
        StaffRole.objects.create(user=user, agency=agency, role=role)
    return user


def make_administrator(username: str = "sysadmin", **extra) -> User:
    """A system administrator (``StaffProfile.system_administrator``) holding no role."""
    user = make_user(username, **extra)
    StaffProfile.objects.create(user=user, full_name="Sys Admin", system_administrator=True)
    return user


FULL_ACCESS_KINDS = (Agency.Kind.POLICE, Agency.Kind.VRU, Agency.Kind.CHILDRENS_SERVICES,
                     Agency.Kind.PROBATION)


def default_categories(agency: Agency) -> frozenset[str]:
    """What the test world's agreement grants: everything to the police, the VRU, children's
    social care and probation; everything but police intelligence to other partners."""
    if agency.kind in FULL_ACCESS_KINDS:
        return frozenset(Category)
    return frozenset(Category) - {Category.POLICE_INTELLIGENCE}


def make_programme(name: str, agencies: Iterable[Agency], lead: Agency | None = None,
                   agreement: bool = True) -> Programme:
    """A programme led by ``lead`` (by default the first agency), with an agreement in force
    for every other agency unless ``agreement`` is false."""
    agencies = list(agencies)
    lead = lead or (agencies[0] if agencies else None)
    programme = Programme.objects.create(name=name, problem=f"{name} problem", area="Testshire",
                                         start=date(2026, 1, 1), lead_agency=lead)
    programme.agencies.set(agencies)
    others = [a for a in agencies if a != lead]
    if agreement and others:
        make_agreement(programme, {a: default_categories(a) for a in others})
    return programme


def make_agreement(programme: Programme, parties: dict[Agency, Iterable[str]],
                   status: str = DataSharingAgreement.Status.ACTIVE,
                   suppliers: Iterable[Agency] = (), **terms) -> DataSharingAgreement:
    """An agreement for the programme (active by default) granting each agency its
    categories, the ``suppliers`` supplying data; ``terms`` override the agreement's fields."""
    suppliers = set(suppliers)
    version = programme.agreements.count() + 1
    creator = User.objects.filter(is_superuser=False).first() or make_user(
        f"drafter-{programme.pk}-{version}")
    fields = dict(
        programme=programme, version=version, title=f"{programme.name} sharing",
        purpose_detail="Delivering the programme", status=status, starts=date(2026, 1, 1),
        review_date=date(2027, 1, 1), special_category=True, includes_ethnicity=True,
        dpia_reference="DPIA-1", equality_assessment="EIA-1", privacy_information="notice",
        security_arrangements="secure", rights_procedure="rights", created_by=creator)
    agreement = DataSharingAgreement.objects.create(**{**fields, **terms})
    for agency, categories in parties.items():
        AgreementParty.objects.create(agreement=agreement, agency=agency,
                                      lawful_basis=AgreementParty.LawfulBasis.PUBLIC_TASK,
                                      categories=sorted(categories),
                                      supplies_data=agency in suppliers)
    return agreement


def link(programme: Programme, agency: Agency, person: Person,
         relationship: str = PersonLink.Relationship.PUPIL) -> PersonLink:
    creator = User.objects.filter(is_superuser=False).first() or make_user("linker")
    return PersonLink.objects.create(programme=programme, agency=agency, person=person,
                                     relationship=relationship, recorded_by=creator)


def make_person(person_id: str, age: int | None = 16, sex: str = "male") -> Person:
    born = None if age is None else timezone.localdate() - timedelta(days=365 * age + 100)
    return Person.objects.create(person_id=person_id, date_of_birth=born, sex=sex)


def make_event(event_id: str, person: Person, role: str = "suspect",
               category: str = "violence and sexual offences", days_ago: int = 30) -> Event:
    event = Event.objects.create(
        event_id=event_id,
        occurred_at=timezone.now() - timedelta(days=days_ago),
        offence_code=OFFENCE_CODES.get(category, ""),
        offence_category=category,
    )
    Involvement.objects.create(event=event, person=person, role=role)
    return event


def make_entry(programme: Programme, person: Person, status: str = Status.ACTIVE) -> CohortEntry:
    return CohortEntry.objects.create(
        programme=programme, person=person, status=status,
        rationale=f"Test rationale for {person.person_id}",
        review_date=timezone.localdate() + timedelta(days=90),
    )


def explain(person: Person) -> list[dict]:
    """An explanation in ``PersonScore.explanation`` form, from the person's involvements."""
    items = []
    for involvement in person.involvements.select_related("event"):
        event = involvement.event
        side = "victim" if involvement.role == "victim" else "offender"
        days = CCHI_DAYS.get(event.offence_category, 5.0)
        age_days = (timezone.now() - event.occurred_at).days
        decay = round(0.5 ** (age_days / 365), 4)
        items.append({
            "person_id": person.person_id, "side": side, "event_id": event.event_id,
            "occurred_at": event.occurred_at.isoformat(), "offence_code": event.offence_code,
            "offence_category": event.offence_category, "role": involvement.role,
            "harm_weight": days, "decay": decay, "contribution": round(days * decay, 3),
        })
    return items


def make_run(people: Iterable[Person], status: str = AnalysisRun.Status.COMPLETE,
             group_of: dict[str, str] | None = None, started_at=None) -> AnalysisRun:
    """A stored run scoring ``people`` from their events, ranked by harm."""
    run = AnalysisRun.objects.create(
        started_at=started_at or timezone.now(), finished_at=timezone.now(), status=status,
        code_version="test",
    )
    group_of = group_of or {}
    scored = []
    for person in people:
        items = explain(person)
        harm = sum(i["contribution"] for i in items if i["side"] == "offender")
        victim = sum(i["contribution"] for i in items if i["side"] == "victim")
        scored.append((harm, victim, person, items))
    scored.sort(key=lambda s: (-s[0], s[2].person_id))
    PersonScore.objects.bulk_create(
        PersonScore(
            run=run, person=person, group_label=group_of.get(person.person_id, ""),
            harm_score=harm, victim_harm_score=victim, rank=rank, explanation=items,
            top_events=runs.top_events(items),
            offence_count=sum(i["side"] == "offender" for i in items),
            victimisation_count=sum(i["side"] == "victim" for i in items),
        )
        for rank, (harm, victim, person, items) in enumerate(scored, start=1)
    )
    labels = sorted(set(group_of.values()))
    FoundGroup.objects.bulk_create(
        FoundGroup(run=run, group_label=label, rank=rank,
                   size=sum(1 for v in group_of.values() if v == label),
                   harm_score=sum(h for h, _, p, _ in scored if group_of.get(p.person_id) == label),
                   victim_harm_score=0.0)
        for rank, label in enumerate(labels, start=1)
    )
    return run


@dataclass
class World:
    police: Agency
    vru: Agency
    social_care: Agency
    school: Agency
    housing: Agency
    programme: Programme
    police_only_programme: Programme
    analyst: User
    coordinator: User
    caseworker: User
    partner: User
    stranger: User
    superuser: User
    proposed: Person
    active: Person
    stepped_down: Person
    exited: Person
    unlisted: Person
    police_only: Person
    run: AnalysisRun

    @property
    def everyone_in_programme(self) -> set[Person]:
        return {self.proposed, self.active, self.stepped_down, self.exited}

    @property
    def engaged(self) -> set[Person]:
        return {self.active, self.stepped_down}


def make_world() -> World:
    police = make_agency("Testshire Police", Agency.Kind.POLICE)
    vru = make_agency("Testshire VRU", Agency.Kind.VRU)
    social_care = make_agency("Testshire Children's Social Care", Agency.Kind.CHILDRENS_SERVICES)
    school = make_agency("Northgate School", Agency.Kind.SCHOOL)
    housing = make_agency("Outside Housing Association", Agency.Kind.HOUSING)
    programme = make_programme("Knife crime", [police, vru, social_care, school])
    police_only_programme = make_programme("Drug market", [police])
    people = {}
    for status, (pid, category) in {
        Status.PROPOSED: ("P-PROPOSED", "robbery"),
        Status.ACTIVE: ("P-ACTIVE", "violence and sexual offences"),
        Status.STEPPED_DOWN: ("P-STEPPED", "possession of weapons"),
        Status.EXITED: ("P-EXITED", "burglary"),
    }.items():
        people[status] = make_person(pid)
        make_event(f"E-{pid}", people[status], category=category)
        make_entry(programme, people[status], status)
    make_event("E-ACTIVE-VICTIM", people[Status.ACTIVE], role="victim", days_ago=200)
    unlisted = make_person("P-UNLISTED")
    make_event("E-UNLISTED", unlisted)
    police_only = make_person("P-POLICE-ONLY", age=19)
    make_event("E-POLICE-ONLY", police_only, category="drugs")
    make_entry(police_only_programme, police_only, Status.ACTIVE)
    for person in (people[Status.ACTIVE], people[Status.STEPPED_DOWN], people[Status.EXITED],
                   people[Status.PROPOSED]):
        link(programme, school, person)  # the school's pupils; it sees those engaged
    run = make_run([*people.values(), unlisted, police_only],
                   group_of={"P-ACTIVE": "G1", "P-PROPOSED": "G1", "P-STEPPED": "G2"})
    return World(
        police=police, vru=vru, social_care=social_care, school=school, housing=housing,
        programme=programme, police_only_programme=police_only_programme,
        analyst=make_user("analyst", police, Role.ANALYST),
        coordinator=make_user("coordinator", vru, Role.COORDINATOR),
        caseworker=make_user("caseworker", social_care, Role.CASEWORKER),
        partner=make_user("partner", school, Role.PARTNER),
        stranger=make_user("stranger", housing, Role.PARTNER),
        superuser=make_user("superuser", is_superuser=True, is_staff=True),
        proposed=people[Status.PROPOSED], active=people[Status.ACTIVE],
        stepped_down=people[Status.STEPPED_DOWN], exited=people[Status.EXITED],
        unlisted=unlisted, police_only=police_only, run=run,
    )


_PER_RENDER_TOKENS = re.compile(rb'name="(csrfmiddlewaretoken|deter_once)" value="[^"]+"')


def without_form_tokens(content: bytes) -> bytes:
    """A page with the values that change on every render (the CSRF and once-only form tokens)
    blanked, so two pages can be compared byte for byte."""
    return _PER_RENDER_TOKENS.sub(rb'name="\1" value=""', content)


def import_emerging_group():
    """The synthetic county's planted emerging group (``synth.emerging``, small scale): its
    children and their incidents imported, and a run scoring them as one found group.
    Returns (run, the planted truth)."""
    import polars as pl

    from deter.analysis.extract import Extract
    from deter.analysis.synth import synthesise
    from deter.analysis.synth.emerging import plant_emerging_group
    from deter.web.ingest.importer import load_extract

    county, truth = plant_emerging_group(synthesise(seed=1, scale="small"))
    extract, incidents = county.extract, truth.incidents["event_id"].implode()
    load_extract(Extract.from_frames(
        people=extract.people.filter(pl.col("person_id").is_in(list(truth.members))),
        events=extract.events.filter(pl.col("event_id").is_in(incidents)),
        involvements=extract.involvements.filter(pl.col("event_id").is_in(incidents)),
    ), source="the emerging group")
    run = make_run(Person.objects.filter(person_id__in=truth.members),
                   group_of={pid: "N-EMERGING" for pid in truth.members})
    return run, truth
