"""The world the accessibility and person-page browser tests draw every page from: the web
tests' factories world with one of everything a page can show, and signing in without the
sign-in page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from deter.web import audit
from deter.web.actions import drug_market, outcomes
from deter.web.models import (
    Agency,
    CallInInvitation,
    CohortDecision,
    CohortEntry,
    CohortGroup,
    DataSharingAgreement,
    GroupViolenceFlag,
    Intervention,
    InterventionUpdate,
    Job,
    Letter,
    LetterTemplate,
    Meeting,
    MeetingAction,
    Occurrence,
    OrderBreach,
    PersonLink,
    TreatmentReferral,
)
from deter.web.models.retention import DeletionConfirmation, RetentionRun
from deter.web.models.rights import Challenge, Notification, SubjectAccessRequest
from web.drug_market_factories import Adder, make_adder
from web.factories import (
    Role,
    World,
    make_administrator,
    make_agency,
    make_agreement,
    make_event,
    make_user,
    make_world,
)


@dataclass
class Records:
    """The factories' world with one of everything a page can show."""

    world: World
    entry: CohortEntry
    group: CohortGroup
    panel: Meeting
    call_in: Meeting
    invitation: CallInInvitation
    action: MeetingAction
    support: Intervention
    order: Intervention
    template: LetterTemplate
    letter: Letter
    flag: GroupViolenceFlag
    dpo: User  # the police DPO, who oversees retention
    deletion: DeletionConfirmation  # outstanding, the school's to confirm
    revoked: DataSharingAgreement  # version 2, revoked by the police DPO
    draft: DataSharingAgreement  # version 3, its DPIA missing
    awaiting: DataSharingAgreement  # version 4, awaiting the police DPO
    link: PersonLink  # the school's link to the active person
    evaluator: User  # at a university, party to the programme's evaluation agreement
    challenge: Challenge  # open, about the active person, whom the coordinator accepted
    decided_challenge: Challenge
    sar: SubjectAccessRequest  # open, the police DPO's
    failed_job: Job  # the analyst's upload whose people.csv had a bad date
    administrator: User  # a system administrator, holding no role
    occurrence: Occurrence  # the first weekly visit of ``support``, its outcome awaited
    adder: Adder  # a drug-market programme led by the VRU, with a treatment provider
    drug_worker: User  # the treatment provider's partner-agency user
    referral: TreatmentReferral  # the drug user's, from custody, started 100 days ago


def make_records() -> Records:
    world = make_world()
    programme, coordinator, caseworker = world.programme, world.coordinator, world.caseworker
    programme.publish_scoring = True
    programme.save(update_fields=["publish_scoring"])
    dpo = make_user("dpo", world.police, Role.DPO)
    university = make_agency("Testshire University", Agency.Kind.COMMUNITY)
    make_agreement(programme, {university: ()}, purpose="evaluation",
                   title="Evaluating the knife crime programme")
    evaluator = make_user("evaluator", university, Role.EVALUATOR)
    run = RetentionRun.objects.create(as_of=timezone.localdate(), dry_run=False,
                                      counts={"exited_entries": 1})
    deletion = DeletionConfirmation.objects.create(
        agency=world.school, programme=programme, reason=DeletionConfirmation.Reason.RETENTION,
        reference="One exited person's cohort record", count=1, retention_run=run)
    now, today = timezone.now(), timezone.localdate()
    entry = CohortEntry.objects.get(programme=programme, person=world.active)
    entry.lead_professional = caseworker
    entry.support_offer = "Mentoring and a college place"
    entry.enforcement_consequence = "An ABA, then a CPN"
    entry.save()
    proposed = CohortEntry.objects.get(programme=programme, person=world.proposed)
    group = CohortGroup.objects.create(
        programme=programme, label="G1", name="Northside", status="active",
        lead_professional=caseworker, group_response="Home visits to every member",
        review_date=today + timedelta(days=30),
    )
    CohortGroup.objects.create(programme=programme, label="G2", status="proposed")
    entry.group = group
    entry.save(update_fields=["group"])
    proposed.group = group
    proposed.save(update_fields=["group"])
    CohortDecision.objects.create(entry=entry, from_status="proposed", to_status="active",
                                  reason="Agreed at the panel", decided_by=coordinator)
    panel = Meeting.objects.create(
        programme=programme, kind=Meeting.Kind.PANEL, title="March panel",
        held_at=now + timedelta(days=7), chair=coordinator, created_by=coordinator,
    )
    panel.attendees.add(caseworker)
    call_in = Meeting.objects.create(
        programme=programme, kind=Meeting.Kind.CALL_IN, title="Northside call-in",
        held_at=now - timedelta(days=3), chair=coordinator, created_by=coordinator,
        place="Town hall",
    )
    invitation = CallInInvitation.objects.create(meeting=call_in, role="subject",
                                                 person=world.active)
    CallInInvitation.objects.create(meeting=call_in, role="community", name="Pastor Green")
    action = MeetingAction.objects.create(
        programme=programme, meeting=panel, entry=entry, description="Refer to mentoring",
        owner=caseworker, due=today + timedelta(days=7), created_by=coordinator,
    )
    MeetingAction.objects.create(
        programme=programme, meeting=panel, entry=entry, description="Visit the family",
        owner=caseworker, due=today - timedelta(days=7), created_by=coordinator,
    )
    support = Intervention.objects.create(
        programme=programme, person=world.active, kind="support", category="mentoring",
        title="Boxing club mentoring", agency=world.school, status="referred",
        start=today - timedelta(days=20), created_by=caseworker,
    )
    InterventionUpdate.objects.create(intervention=support, status="referred",
                                      on=today - timedelta(days=20), recorded_by=caseworker)
    order = Intervention.objects.create(
        programme=programme, person=world.active, kind="enforcement", category="aba",
        title="Acceptable Behaviour Agreement", agency=world.police, status="active",
        conditions="Not to enter the town centre after 9pm", expires=today + timedelta(days=90),
        start=today - timedelta(days=10), created_by=coordinator,
    )
    OrderBreach.objects.create(intervention=order, occurred_on=today - timedelta(days=2),
                               description="Seen in the town centre at 11pm",
                               recorded_by=coordinator)
    template = LetterTemplate.objects.create(
        programme=programme, name="Call-in invitation", body="Dear $name, you are invited.",
        updated_by=coordinator,
    )
    notice = Intervention.objects.create(
        programme=programme, person=world.active, kind="communication", category="letter",
        title="Focused deterrence letter", agency=world.vru, status="completed",
        created_by=coordinator,
    )
    letter = Letter.objects.create(template=template, intervention=notice,
                                   recipient="The young person", body="Dear you",
                                   created_by=coordinator)
    Intervention.objects.create(
        programme=programme, group=group, kind="enforcement", category="hotspot_operation",
        title="Patrols at the park", agency=world.police, created_by=coordinator,
    )
    flag = GroupViolenceFlag.objects.create(
        group=group, person=world.active,
        event=make_event("E-FLAG", world.active, days_ago=1),
    )
    revoked, draft, awaiting = make_agreements(world)
    challenge, decided, sar = _rights(world, entry, dpo)
    # views for the DPO console: one outside the caseload, a day of unusual volume
    audit.record(world.caseworker, "view_person", "person", world.active.pk, case_detail=True)
    for _ in range(51):
        audit.record(world.analyst, "view_person", "person", world.stepped_down.pk)
    return Records(world=world, entry=entry, group=group, panel=panel, call_in=call_in,
                   invitation=invitation, action=action, support=support, order=order,
                   template=template, letter=letter, flag=flag, dpo=dpo, deletion=deletion,
                   revoked=revoked, draft=draft, awaiting=awaiting,
                   link=programme.person_links.get(person=world.active),
                   evaluator=evaluator, challenge=challenge, decided_challenge=decided, sar=sar,
                   failed_job=_failed_job(world), administrator=_administration(world),
                   occurrence=_weekly_visits(coordinator, support),
                   **_drug_market(world))


def _drug_market(world: World) -> dict:
    """The drug-market programme (issue 16): a referral from custody in treatment for 100
    days, and naloxone given to a family member."""
    adder = make_adder(world)
    today = timezone.localdate()
    referral = drug_market.refer(adder.drug_worker, adder.entry, source="custody",
                                 referred_on=today - timedelta(days=110))
    referral = drug_market.record_start(adder.drug_worker, referral,
                                        today - timedelta(days=100), "ost_buprenorphine")
    drug_market.record_harm_reduction(adder.drug_worker, adder.entry, kind="naloxone",
                                      on=today - timedelta(days=3), recipient="family")
    return {"adder": adder, "drug_worker": adder.drug_worker, "referral": referral}


def _weekly_visits(coordinator: User, support: Intervention) -> Occurrence:
    today = timezone.localdate()
    schedule = outcomes.schedule_intervention(coordinator, support, frequency="weekly",
                                              starts=today - timedelta(days=14), ends=today)
    return schedule.occurrences.order_by("on").first()


def _administration(world: World) -> User:
    """A system administrator; children's social care has its letterhead and logo; the
    caseworker a name, job title and contact."""
    import io

    from PIL import Image

    from deter.web.actions import administration

    logo = io.BytesIO()
    Image.new("RGB", (120, 48), (0, 94, 165)).save(logo, format="PNG")
    administration.save_agency(None, world.social_care, name=world.social_care.name,
                               kind=world.social_care.kind, address="1 County Road\nTestshire",
                               phone="01234 567890")
    administration.set_agency_logo(None, world.social_care, logo.getvalue(), "logo.png")
    administration.edit_account(None, world.caseworker, full_name="Sam Okafor",
                                job_title="Adolescent support worker",
                                email="sam@example.gov.uk", phone="07700 900123")
    return make_administrator("sysadmin")


def _failed_job(world: World) -> Job:
    import io
    import zipfile

    from deter.web.actions.jobs import start_import

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("people.csv", "person_id,date_of_birth\nP1,31/01/2001\n")
    return start_import(world.analyst, "extract.zip", buffer.getvalue(), "extract")


def make_agreements(world: World) -> tuple[DataSharingAgreement, ...]:
    """Versions 2 to 4 of the programme's agreement: revoked, a draft without its DPIA, and
    one awaiting the police DPO; version 1 stays in force."""
    status = DataSharingAgreement.Status
    parties = {world.police: ["identity", "police_intelligence"],
               world.school: ["identity", "cohort", "health"]}
    revoked = make_agreement(world.programme, parties, status.REVOKED,
                             suppliers=[world.police],
                             ended_reason="The school's data protection training lapsed")
    draft = make_agreement(world.programme, parties, status.DRAFT, suppliers=[world.police],
                           dpia_reference="")
    awaiting = make_agreement(world.programme, parties, status.AWAITING_APPROVAL,
                              suppliers=[world.police])
    return revoked, draft, awaiting


def _rights(world: World, entry: CohortEntry, dpo: User):
    """The active person told by letter and an open and a decided challenge from them; the
    stepped-down person exempt from being told; a subject access request from the active
    person."""
    today, coordinator = timezone.localdate(), world.coordinator
    Notification.objects.create(entry=entry, kind="told", method="letter", told_on=today,
                                told_by=world.caseworker, recipient="parent_or_carer",
                                recorded_by=coordinator)
    stepped = CohortEntry.objects.get(programme=world.programme, person=world.stepped_down)
    Notification.objects.create(entry=stepped, kind="exempt", recorded_by=coordinator,
                                exemption_reason="Would prejudice an investigation",
                                review_date=today - timedelta(days=3))
    challenge = Challenge.objects.create(
        entry=entry, received_on=today - timedelta(days=30), due_on=today - timedelta(days=2),
        on_behalf=True, made_by="Their mother", grounds="He has never carried a knife",
        logged_by=coordinator)
    decided = Challenge.objects.create(
        entry=entry, received_on=today - timedelta(days=90), due_on=today - timedelta(days=62),
        grounds="Not in a group", logged_by=coordinator, outcome="kept",
        reasons="Two recent events", decided_by=dpo, decided_at=timezone.now())
    sar = SubjectAccessRequest.objects.create(
        programme=world.programme, person=world.active, received_on=today,
        deadline=today + timedelta(days=30), logged_by=dpo)
    return challenge, decided, sar


def sign_in(context, live_server, user) -> None:
    """A signed-in session without the sign-in page (which has its own case)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"]
    context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])
