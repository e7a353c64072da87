"""One policy per record kind. The rules themselves are in the package's docstring."""

from django.contrib.auth import get_user_model
from django.db.models import BooleanField, Exists, OuterRef, Prefetch, Q, QuerySet, Value

from ..models import (
    Agency,
    AgreementParty,
    AnalysisRun,
    CohortDecision,
    CohortEntry,
    CohortGroup,
    DataSharingAgreement,
    FoundGroup,
    GroupViolenceFlag,
    Intervention,
    InterventionUpdate,
    Letter,
    Meeting,
    MeetingAction,
    Person,
    PersonLink,
    PersonScore,
    Programme,
)
from . import reviews, rights
from .administration import agencies, staff
from .base import Category, RecordPolicy
from .drug_market import (
    HarmReductionPolicy,
    TreatmentReferralPolicy,
    records_harm_reduction,
    refers,
)
from .evaluation import evaluations
from .grants import (
    ALL_ROLES,
    DECIDE,
    ENGAGED_STATUSES,
    RECORD_FOR_ANY_AGENCY,
    RECORD_FOR_OWN_AGENCY,
    SEE_CASE_DETAIL,
    SEE_EVERY_STATUS,
    WRITE_LETTERS,
    Role,
    User,
    active,
    agencies_in,
    categories_in,
    holds,
    programme_pks,
    roles_of,
)
from .jobs import JobPolicy
from .retention import deletion_confirmations
from .rights import challenges, notifications, subject_access_requests
from .scope import age_allowed, intervention_categories_allowed, linked_to_partner

INTEL = Category.POLICE_INTELLIGENCE


def proposal_viewers(user: User) -> frozenset[int]:
    """Programmes in which the user sees people not yet accepted (proposed, deferred,
    rejected): the coordinator, and analysts of the police or the VRU, until the panel
    decides."""
    return programme_pks(user, (Role.COORDINATOR,), category=Category.IDENTITY) | programme_pks(
        user, (Role.ANALYST,), category=Category.IDENTITY, police_or_vru=True)


def case_detail_pks(user: User) -> frozenset[int]:
    """Programmes in which the user sees police-held detail and analysis."""
    return programme_pks(user, SEE_CASE_DETAIL, category=INTEL)


SEE_RETENTION = (Role.DPO,)


def removed() -> Q:
    """Entries removed after an upheld challenge."""
    return Q(status=CohortEntry.Status.REMOVED)


def deciders(user: User) -> frozenset[int]:
    """Programmes in which the user still sees removed entries: those who decide there."""
    return programme_pks(user, DECIDE, category=Category.IDENTITY)


class ProgrammePolicy(RecordPolicy[Programme]):
    model = Programme
    kind = "programme"
    rules = {
        "view": "_sees",
        "decide": "_decides",
        "see_case_detail": "_sees_case_detail",
        "see_delivery": "_sees_case_detail",
        "run_panel": "_runs_panel",
        "start": "_may_start",
        "see_fairness": "_sees_fairness",
        "see_retention": "_sees_retention",
        "see_audit": "_sees_audit",
        "see_rights": "_sees_rights",
        "set_current_run": "_sets_current_run",
        "manage_premises": "_manages_premises",
        "see_report": "_sees_report",
        "see_report_aggregates": "_sees",
        "see_evaluation": "_sees_evaluation",
        "see_adder": "_sees_adder",
    }
    listed = {
        "see_evaluation": "_with_evaluation",
        "decide": "_decided_by",
        "see_case_detail": "_with_case_detail",
        "run_panel": "_with_panel",
        "see_fairness": "_with_fairness",
        "see_retention": "_with_retention",
        "see_audit": "_with_audit",
    }

    def visible(self, user: User) -> QuerySet[Programme]:
        """Programmes that one of the user's agencies partners in, in any role."""
        return Programme.objects.filter(pk__in=programme_pks(user, ALL_ROLES)).order_by("name")

    def published(self) -> QuerySet[Programme]:
        """Programmes whose coordinator chose to publish the scoring page: anyone, signed in
        or not, may read it (it shows no person and no count of people)."""
        return Programme.objects.filter(publish_scoring=True)

    def of_person(self, user: User, person: Person) -> QuerySet[Programme]:
        """Programmes through which the user sees the person."""
        seen = entries.visible(user).filter(person=person)
        return Programme.objects.filter(pk__in=seen.values("programme_id")).order_by("name")

    def users_with(self, action: str, programme: Programme) -> QuerySet:
        """``assign``: staff of the programme's partner agencies, who may be lead
        professionals, action owners and attendees."""
        if action != "assign":
            return super().users_with(action, programme)
        return (
            get_user_model().objects
            .filter(is_active=True, staff_roles__agency__in=programme.agencies.values("pk"))
            .distinct().order_by("username")
        )

    def _sees(self, user: User, programme: Programme) -> bool:
        return holds(user, ALL_ROLES, programme.pk)

    def _decides(self, user: User, programme: Programme) -> bool:
        """Panel decisions, programme settings, meetings and letter templates."""
        return holds(user, DECIDE, programme.pk)

    def _sets_current_run(self, user: User, programme: Programme) -> bool:
        """Which analysis run the programme works from: its analysts and coordinators."""
        return holds(user, SEE_EVERY_STATUS, programme.pk)

    def _sees_case_detail(self, user: User, programme: Programme) -> bool:
        return programme.pk in case_detail_pks(user)

    def _runs_panel(self, user: User, programme: Programme) -> bool:
        return programme.pk in self._panel_pks(user)

    def _panel_pks(self, user: User) -> frozenset[int]:
        return proposal_viewers(user) & case_detail_pks(user)

    def _sees_fairness(self, user: User, programme: Programme) -> bool:
        """Disproportionality of the programme's proposals and cohort (aggregates, suppressed
        below ten): analysts, coordinators, caseworkers and the data protection officer."""
        return holds(user, _FAIRNESS, programme.pk)

    def _with_fairness(self, user: User) -> QuerySet[Programme]:
        return Programme.objects.filter(pk__in=programme_pks(user, _FAIRNESS)).order_by("name")

    def _sees_retention(self, user: User, programme: Programme) -> bool:
        """What falls due under the retention schedule, the partners' outstanding deletion
        confirmations and the overdue reviews, in numbers: the programme's DPO."""
        return holds(user, SEE_RETENTION, programme.pk)

    def _with_retention(self, user: User) -> QuerySet[Programme]:
        return Programme.objects.filter(pk__in=programme_pks(user, SEE_RETENTION)).order_by("name")

    def _sees_audit(self, user: User, programme: Programme) -> bool:
        """The audit trail of the programme's people and staff (the DPO console): the data
        protection officer of its lead agency or of an agency party to any version of its
        agreement, in force or not (a revoking DPO still reviews what the revocation
        affected)."""
        return self._with_audit(user).filter(pk=programme.pk).exists()

    def _with_audit(self, user: User) -> QuerySet[Programme]:
        dpo_of = roles_of(user).filter(role=Role.DPO).values("agency_id")
        parties = AgreementParty.objects.filter(agency__in=dpo_of).values(
            "agreement__programme_id")
        return Programme.objects.filter(
            Q(lead_agency__in=dpo_of) | Q(pk__in=parties)).order_by("name")

    def _sees_rights(self, user: User, programme: Programme) -> bool:
        """Who was told, exemptions and challenges: the coordinator and the DPO."""
        return programme.pk in rights.rights_pks(user)

    def _manages_premises(self, user: User, programme: Programme) -> bool:
        """Name the programme's premises (the nightclub, the station): whoever records
        interventions for any agency (analysts, coordinators, caseworkers)."""
        return holds(user, RECORD_FOR_ANY_AGENCY, programme.pk)

    def _sees_report(self, user: User, programme: Programme) -> bool:
        """The programme report naming its groups and people, with their harm before and after
        acceptance: the coordinator and the police's or VRU's analysts (police intelligence
        granted). Everyone else in the programme sees its aggregates only
        (``see_report_aggregates``)."""
        return programme.pk in (
            programme_pks(user, DECIDE)
            | programme_pks(user, (Role.ANALYST,), category=INTEL, police_or_vru=True))

    def _sees_evaluation(self, user: User, programme: Programme) -> bool:
        """The programme's evaluation page (estimates, diagnostics, fidelity: pseudonymous
        aggregates, never a person): its coordinator, and an evaluator of a party to one of
        its evaluation agreements in force (``policy.evaluations``), who need hold no other
        role in the programme."""
        return self._with_evaluation(user).filter(pk=programme.pk).exists()

    def _with_evaluation(self, user: User) -> QuerySet[Programme]:
        under_agreement = evaluations.visible(user).values("programme_id")
        return Programme.objects.filter(
            Q(pk__in=programme_pks(user, DECIDE)) | Q(pk__in=under_agreement)).order_by("name")

    def _sees_adder(self, user: User, programme: Programme) -> bool:
        """The ADDER dashboard (monthly counts, never a person): anyone in a drug-market
        programme (``policy.drug_market``)."""
        return programme.delivery_model == Programme.DeliveryModel.DRUG_MARKET \
            and holds(user, ALL_ROLES, programme.pk)

    def coordinated_agencies(self, user: User) -> set[int]:
        """Keys of the agencies the user is a coordinator for."""
        return set(roles_of(user).filter(role=Role.COORDINATOR)
                   .values_list("agency_id", flat=True))

    def _may_start(self, user: User, programme: Programme | None = None) -> bool:
        """A coordinator of any agency may start a programme (with their agency as a partner)."""
        return roles_of(user).filter(role=Role.COORDINATOR).exists()

    def _decided_by(self, user: User) -> QuerySet[Programme]:
        return Programme.objects.filter(pk__in=programme_pks(user, DECIDE)).order_by("name")

    def _with_case_detail(self, user: User) -> QuerySet[Programme]:
        return Programme.objects.filter(pk__in=case_detail_pks(user)).order_by("name")

    def _with_panel(self, user: User) -> QuerySet[Programme]:
        """Proposed and deferred people with their explanation: the coordinator and the
        police's and VRU's analysts."""
        return Programme.objects.filter(pk__in=self._panel_pks(user))


_FAIRNESS = (*SEE_CASE_DETAIL, Role.DPO)


class EntryPolicy(RecordPolicy[CohortEntry]):
    model = CohortEntry
    kind = "cohort_entry"
    rules = {
        "view": "_sees",
        "decide": "_decides",
        "edit_plan": "_edits_plan",
        "write_letter": "_writes_letter",
        # issue 16, the drug-market pathway (policy.drug_market)
        "refer_to_treatment": "_refers_to_treatment",
        "record_harm_reduction": "_records_harm_reduction",
    }

    def visible(self, user: User) -> QuerySet[CohortEntry]:
        """By programme, role, entry status, the person's age and, for a partner-agency
        user, a recorded link between their agency and the person and no review overdue
        beyond the grace period (``policy.reviews``)."""
        engaged = Q(status__in=ENGAGED_STATUSES)
        partners = programme_pks(user, (Role.PARTNER,), category=Category.IDENTITY)
        return CohortEntry.objects.filter(
            Q(~removed(), programme__in=proposal_viewers(user))
            | Q(removed(), programme__in=deciders(user))
            | Q(engaged, programme__in=programme_pks(
                user, (Role.ANALYST, Role.CASEWORKER), category=Category.IDENTITY))
            | Q(engaged, linked_to_partner(user), ~reviews.suspended(), programme__in=partners),
            age_allowed(user),
        )

    def fields(self, user: User, entry: CohortEntry) -> frozenset[Category]:
        """The categories granted in the entry's programme, if the user sees the entry."""
        if not self._sees(user, entry):
            return frozenset()
        return frozenset(Category(c) for c in categories_in(user, entry.programme_id))

    def of_person(self, user: User, person: Person) -> QuerySet[CohortEntry]:
        """The person's visible entries (one per programme)."""
        return (
            self.visible(user).filter(person=person)
            .select_related("programme", "lead_professional", "decided_by")
            .order_by("programme__name")
        )

    def with_case_detail(self, user: User) -> QuerySet[CohortEntry]:
        return self.visible(user).filter(programme__in=case_detail_pks(user))

    def prefetch(self, user: User, lookup: str = "cohort_entries") -> Prefetch:
        """Prefetch a person's visible entries into ``person.visible_entries``; ``lookup`` is
        the path to ``Person.cohort_entries``, e.g. ``person__cohort_entries``."""
        return Prefetch(
            lookup,
            queryset=self.visible(user).select_related("programme").order_by("programme__name"),
            to_attr="visible_entries",
        )

    def outside_run(self, user: User, run: AnalysisRun | None) -> QuerySet[CohortEntry]:
        """Visible entries whose person has no score in the run (so is not ranked)."""
        found = self.visible(user)
        if run is not None:
            # a correlated NOT EXISTS uses the (run, person) index; NOT IN read every score of
            # the run (50,000 at a force's size) on every view of the cohort
            scored = PersonScore.objects.filter(run=run, person_id=OuterRef("person_id"))
            found = found.exclude(Exists(scored))
        return found.select_related("person", "programme").order_by("programme__name", "person")

    def _decides(self, user: User, entry: CohortEntry) -> bool:
        return programmes.can(user, "decide", entry.programme)

    def _edits_plan(self, user: User, entry: CohortEntry) -> bool:
        """The coordinator, or the person's lead professional while they can see the person."""
        if not self._sees(user, entry):
            return False
        return entry.lead_professional_id == user.pk or self._decides(user, entry)

    def _refers_to_treatment(self, user: User, entry: CohortEntry) -> bool:
        return entry.status in ENGAGED_STATUSES and self._sees(user, entry) \
            and refers(user, entry)

    def _records_harm_reduction(self, user: User, entry: CohortEntry) -> bool:
        return entry.status in ENGAGED_STATUSES and self._sees(user, entry) \
            and records_harm_reduction(user, entry)

    def _writes_letter(self, user: User, entry: CohortEntry) -> bool:
        """Letters name and address a person: the coordinator, the programme's caseworkers
        and the person's lead professional write them, and only they read them back."""
        if not self._sees(user, entry):
            return False
        return entry.lead_professional_id == user.pk or holds(
            user, WRITE_LETTERS, entry.programme_id, category=Category.CONTACT)


class PersonPolicy(RecordPolicy[Person]):
    model = Person
    kind = "person"
    rules = {
        "view": "_sees",
        "see_case_detail": "_sees_case_detail",
        "add_intervention": "_adds_intervention",
        "record_movement": "_records_movement",
    }

    def visible(self, user: User) -> QuerySet[Person]:
        """Only through a cohort entry of a programme one of the user's agencies partners in."""
        return Person.objects.filter(pk__in=entries.visible(user).values("person_id"))

    def proposable(self, user: User, programme: Programme) -> QuerySet[Person]:
        """People the user may propose to the programme by hand: anyone in the police-held
        data not yet in its cohort, for its coordinator where they see police-held case
        detail; nobody for anyone else."""
        if not (programmes.can(user, "decide", programme)
                and programme.pk in case_detail_pks(user)):
            return Person.objects.none()
        return Person.objects.exclude(cohort_entries__programme=programme)

    def fields(self, user: User, person: Person) -> frozenset[Category]:
        """The categories granted in the programmes through which the user sees the
        person (from their agreements; the lead agency's staff, all of them)."""
        seen_in = entries.visible(user).filter(person=person).values_list(
            "programme_id", flat=True)
        return frozenset(Category(c) for pk in seen_in for c in categories_in(user, pk))

    def fields_in(self, user: User, seen_in: list[CohortEntry]) -> frozenset[Category]:
        """``fields`` for a person whose visible entries were already read (``entries.prefetch``
        into ``person.visible_entries``): no further query."""
        return frozenset(Category(c) for entry in seen_in
                         for c in categories_in(user, entry.programme_id))

    def _sees_case_detail(self, user: User, person: Person) -> bool:
        """Police-held detail: events, recorded memberships, scores and their explanation."""
        return entries.with_case_detail(user).filter(person=person).exists()

    def _records_movement(self, user: User, person: Person) -> bool:
        """A sighting or GPS point (an event at a location): police-held, so staff of the
        police or the VRU who see the person's case detail."""
        police = programme_pks(user, SEE_CASE_DETAIL, category=INTEL, police_or_vru=True)
        return entries.with_case_detail(user).filter(
            person=person, programme_id__in=police).exists()

    def _adds_intervention(self, user: User, person: Person, programme: Programme | None = None,
                           agency: Agency | None = None) -> bool:
        """Without a programme: in some programme the user sees the person in. Without an
        agency: by at least one agency."""
        if programme is None:
            agencies = interventions.providers_for_person(user, person)
        elif not programmes.of_person(user, person).filter(pk=programme.pk).exists():
            return False
        else:
            agencies = interventions.providers(user, programme)
        return (agencies if agency is None else agencies.filter(pk=agency.pk)).exists()


class GroupPolicy(RecordPolicy[CohortGroup]):
    """Cohort groups are police-held analysis: analysts, coordinators and caseworkers see them
    (caseworkers only active and stepped-down groups); partner-agency users do not."""

    model = CohortGroup
    kind = "cohort_group"
    rules = {
        "view": "_sees",
        "decide": "_decides",
        "edit_members": "_edits_members",
        "edit_plan": "_edits_plan",
        "add_intervention": "_edits_plan",
    }

    def visible(self, user: User) -> QuerySet[CohortGroup]:
        detail = case_detail_pks(user)
        return CohortGroup.objects.filter(
            Q(programme__in=proposal_viewers(user) & detail)
            | Q(programme__in=programme_pks(user, (Role.CASEWORKER,)) & detail,
                status__in=ENGAGED_STATUSES)
        )

    def fields(self, user: User, group: CohortGroup) -> frozenset[Category]:
        if not self._sees(user, group):
            return frozenset()
        return frozenset(Category(c) for c in categories_in(user, group.programme_id))

    def _decides(self, user: User, group: CohortGroup) -> bool:
        return programmes.can(user, "decide", group.programme)

    def _edits_members(self, user: User, group: CohortGroup) -> bool:
        """Adding a person to the group or taking them out: the programme's coordinator."""
        return self._sees(user, group) and self._decides(user, group)

    def _edits_plan(self, user: User, group: CohortGroup) -> bool:
        """The group's coordinator and lead professional; its interventions are its plan's."""
        if not self._sees(user, group):
            return False
        return group.lead_professional_id == user.pk or self._decides(user, group)


class MeetingPolicy(RecordPolicy[Meeting]):
    model = Meeting
    kind = "meeting"
    rules = {"view": "_sees", "manage": "_manages"}

    def visible(self, user: User) -> QuerySet[Meeting]:
        """The programme's analysts, coordinators and caseworkers, its chair and attendees."""
        if not active(user):
            return Meeting.objects.none()
        attending = Meeting.attendees.through.objects.filter(user_id=user.pk)
        return Meeting.objects.filter(
            Q(programme__in=case_detail_pks(user))
            | Q(pk__in=attending.values("meeting_id"))
            | Q(chair_id=user.pk)
        )

    def _manages(self, user: User, meeting: Meeting) -> bool:
        """Attendance, decisions, actions and notes: the programme's coordinator or chair."""
        return (active(user) and meeting.chair_id == user.pk) \
            or programmes.can(user, "decide", meeting.programme)


class MeetingActionPolicy(RecordPolicy[MeetingAction]):
    model = MeetingAction
    kind = "action"
    rules = {"view": "_sees", "update": "_updates"}

    def visible(self, user: User) -> QuerySet[MeetingAction]:
        if not active(user):
            return MeetingAction.objects.none()
        return MeetingAction.objects.filter(
            Q(programme__in=case_detail_pks(user)) | Q(owner_id=user.pk)
        ).filter(~Q(entry__status=CohortEntry.Status.REMOVED)
                 | Q(programme__in=deciders(user)))

    def _updates(self, user: User, action: MeetingAction) -> bool:
        """Its owner, or the programme's coordinator, marks it done."""
        return (active(user) and action.owner_id == user.pk) \
            or programmes.can(user, "decide", action.programme)


class InterventionPolicy(RecordPolicy[Intervention]):
    model = Intervention
    kind = "intervention"
    rules = {
        "view": "_sees",
        "update": "_updates",
        # issue 13: an operation's counted results, its premises, a recurring schedule and
        # each occurrence's outcome, by whoever moves the intervention along
        "record_outcome": "_updates",
        "link_premises": "_updates",
        "schedule": "_updates",
    }

    def visible(self, user: User) -> QuerySet[Intervention]:
        """A person's where the user sees the person in that programme; a group's where the
        user sees the group."""
        seen_entry = entries.visible(user).filter(
            person_id=OuterRef("person_id"), programme_id=OuterRef("programme_id"))
        return Intervention.objects.filter(
            Exists(seen_entry)
            | Q(person__isnull=True, group__in=groups.visible(user).values("pk")),
            intervention_categories_allowed(user),
        )

    def of_person(self, user: User, person: Person) -> QuerySet[Intervention]:
        """Recorded in the programmes through which the user sees the person."""
        return (
            Intervention.objects.filter(
                intervention_categories_allowed(user),
                person=person, programme__in=programmes.of_person(user, person).values("pk"))
            .select_related("agency", "programme", "created_by")
            .order_by("-created_at", "-pk")
        )

    def of_people_with_updates(self, user: User) -> QuerySet[Intervention]:
        """Visible interventions for a person (not a group's), with their provider and their
        life-cycle updates in order (``updates_in_order``): what the API shows."""
        updates = Prefetch("updates", queryset=InterventionUpdate.objects.order_by("on", "pk"),
                           to_attr="updates_in_order")
        return (self.visible(user).filter(person__isnull=False)
                .select_related("agency").prefetch_related(updates))

    def providers(self, user: User, programme: Programme) -> QuerySet[Agency]:
        """Agencies the user may name as an intervention's provider in this programme:
        any partner for analysts, coordinators and caseworkers; a partner user its own."""
        roles_here = roles_of(user).filter(agency__programmes=programme)
        return Agency.objects.filter(programmes=programme).filter(
            Exists(roles_here.filter(role__in=RECORD_FOR_ANY_AGENCY))
            | Q(pk__in=roles_here.filter(role__in=RECORD_FOR_OWN_AGENCY).values("agency_id"))
        )

    def providers_for_person(self, user: User, person: Person) -> QuerySet[Agency]:
        """Every agency the user may name as provider in some programme the person is seen in."""
        roles = roles_of(user)
        seen_in = programmes.of_person(user, person)
        any_agency = Programme.objects.filter(
            pk__in=seen_in.values("pk"),
            agencies__in=roles.filter(role__in=RECORD_FOR_ANY_AGENCY).values("agency_id"),
        )
        own_agency = roles.filter(
            role__in=RECORD_FOR_OWN_AGENCY, agency__programmes__in=seen_in.values("pk"))
        return Agency.objects.filter(
            Q(programmes__in=any_agency.values("pk")) | Q(pk__in=own_agency.values("agency_id"))
        ).distinct().order_by("name")

    def _updates(self, user: User, intervention: Intervention) -> bool:
        """Move it along its life-cycle or record a breach: for a person, anyone who may
        record interventions by its provider agency (so a partner only its own agency's); for
        a group, the group's coordinator and lead professional."""
        if not self._sees(user, intervention):
            return False
        if intervention.person_id is None:
            return groups.can(user, "edit_plan", intervention.group)
        return self.providers(user, intervention.programme).filter(
            pk=intervention.agency_id).exists()


class RunPolicy(RecordPolicy[AnalysisRun]):
    """Only a complete run is ever shown; a running or failed one is invisible. Its problem
    profile is police-held analysis: analysts, coordinators and caseworkers see it."""

    model = AnalysisRun
    kind = "analysis_run"
    rules = {"view_profile": "_sees_profile"}

    def visible(self, user: User) -> QuerySet[AnalysisRun]:
        # the profile is hundreds of kilobytes of JSON at a force's size: read only on request
        return AnalysisRun.objects.filter(status=AnalysisRun.Status.COMPLETE).defer("profile")

    def latest(self) -> AnalysisRun | None:
        """The newest complete run, by when it started: only the fallback of ``current``."""
        return (
            AnalysisRun.objects.filter(status=AnalysisRun.Status.COMPLETE).defer("profile")
            .order_by("-started_at", "-pk").first()
        )

    def current(self, programme: Programme | None = None) -> AnalysisRun | None:
        """The run ``programme`` works from: the complete run its analyst or coordinator
        marked current (``Programme.current_run``). Fallback, while none is marked (a new
        programme) or when no programme is in question: the newest complete run."""
        if programme is not None and programme.current_run_id is not None:
            run = (AnalysisRun.objects.filter(pk=programme.current_run_id,
                                              status=AnalysisRun.Status.COMPLETE)
                   .defer("profile").first())
            if run is not None:
                return run
        return self.latest()

    def current_for(self, user: User) -> AnalysisRun | None:
        """For a page of no one programme (the cohort, a person, the profile): the run marked
        current by the first programme the user sees (by name) that has one marked, else
        the fallback of ``current``."""
        marked = programmes.visible(user).filter(
            current_run__status=AnalysisRun.Status.COMPLETE).first()
        return self.current(marked)

    def _sees_profile(self, user: User, run: AnalysisRun | None = None) -> bool:
        return bool(case_detail_pks(user))


class ScorePolicy(RecordPolicy[PersonScore]):
    model = PersonScore
    kind = "person_score"

    def visible(self, user: User) -> QuerySet[PersonScore]:
        return PersonScore.objects.filter(person__in=people.visible(user))

    def in_run(self, user: User, run: AnalysisRun | None) -> QuerySet[PersonScore]:
        """A run's ranked people the user may see, each annotated with ``case_detail``:
        whether the user may see the score and its explanation; templates show neither
        when it is false."""
        if run is None:  # a new install, before its first analysis
            return PersonScore.objects.none().annotate(
                case_detail=Value(False, output_field=BooleanField()))
        detail = entries.with_case_detail(user).filter(person_id=OuterRef("person_id"))
        return (
            self.visible(user).filter(run=run)
            .annotate(case_detail=Exists(detail)).order_by("rank", "pk")
        )


class DecisionPolicy(RecordPolicy[CohortDecision]):
    """A panel decision is seen with the entry or group it is about."""

    model = CohortDecision
    kind = "cohort_decision"

    def visible(self, user: User) -> QuerySet[CohortDecision]:
        return CohortDecision.objects.filter(
            Q(entry__in=entries.visible(user).values("pk"))
            | Q(group__in=groups.visible(user).values("pk"))
        )


class FlagPolicy(RecordPolicy[GroupViolenceFlag]):
    """A group violence flag is seen with its group."""

    model = GroupViolenceFlag
    kind = "group_flag"

    def visible(self, user: User) -> QuerySet[GroupViolenceFlag]:
        return GroupViolenceFlag.objects.filter(group__in=groups.visible(user).values("pk"))

    def open_in(self, user: User, programme: Programme) -> QuerySet[GroupViolenceFlag]:
        """Flags awaiting or under response in the programme, oldest violence first."""
        return (
            self.visible(user).filter(group__programme=programme)
            .exclude(status=GroupViolenceFlag.Status.DONE)
            .select_related("group", "event", "person").order_by("event__occurred_at", "pk")
        )


class LetterPolicy(RecordPolicy[Letter]):
    """Letters name and address a person: seen with their intervention, and only by those who
    may write letters for the person's entry (``entries.can(user, "write_letter", entry)``)."""

    model = Letter
    kind = "letter"

    def visible(self, user: User) -> QuerySet[Letter]:
        writer = entries.visible(user).filter(
            Q(lead_professional_id=user.pk)
            | Q(programme__in=programme_pks(user, WRITE_LETTERS, category=Category.CONTACT)),
            person_id=OuterRef("intervention__person_id"),
            programme_id=OuterRef("intervention__programme_id"),
        ) if user.is_authenticated else CohortEntry.objects.none()
        return Letter.objects.filter(
            Exists(writer), intervention__in=interventions.visible(user).values("pk"))


class FoundGroupPolicy(RecordPolicy[FoundGroup]):
    """Groups an analysis run found are police-held analysis: analysts, coordinators and
    caseworkers of some programme see them, in complete runs only."""

    model = FoundGroup
    kind = "found_group"

    def visible(self, user: User) -> QuerySet[FoundGroup]:
        if not case_detail_pks(user):
            return FoundGroup.objects.none()
        return FoundGroup.objects.filter(run__status=AnalysisRun.Status.COMPLETE)


class AgreementPolicy(RecordPolicy[DataSharingAgreement]):
    """Data-sharing agreements: the programme's coordinator drafts and submits them; the data
    protection officer of each agency that supplies data approves; a party's DPO revokes.
    They are seen by anyone in the programme and by the DPO of every party."""

    model = DataSharingAgreement
    kind = "agreement"
    rules = {
        "view": "_sees",
        "edit": "_edits",
        "approve": "_approves",
        "revoke": "_revokes",
    }
    listed = {"approve": "_awaiting"}

    def visible(self, user: User) -> QuerySet[DataSharingAgreement]:
        dpo_of = roles_of(user).filter(role=Role.DPO).values("agency_id")
        return DataSharingAgreement.objects.filter(
            Q(programme__in=programme_pks(user, ALL_ROLES))
            | Q(pk__in=AgreementParty.objects.filter(agency__in=dpo_of).values("agreement_id"))
            | Q(programme__lead_agency__in=dpo_of)
        ).select_related("programme").order_by("programme__name", "-version")

    def in_force_parties(self, programme: Programme) -> QuerySet[AgreementParty]:
        """The parties to the programme's delivery agreement in force today."""
        return AgreementParty.objects.filter(
            agreement__programme=programme,
            agreement__purpose=DataSharingAgreement.Purpose.DELIVERY,
            agreement__in=DataSharingAgreement.objects.in_force())

    def of_programme(self, user: User, programme: Programme) -> QuerySet[DataSharingAgreement]:
        return self.visible(user).filter(programme=programme)

    def _edits(self, user: User, agreement: DataSharingAgreement) -> bool:
        """A draft, by the programme's coordinator."""
        return agreement.status == DataSharingAgreement.Status.DRAFT \
            and holds(user, DECIDE, agreement.programme_id)

    def party_for_dpo(self, user: User, agreement: DataSharingAgreement) -> AgreementParty | None:
        """The supplying party whose data protection officer the user is, not yet approved."""
        dpo_of = roles_of(user).filter(role=Role.DPO).values("agency_id")
        return agreement.parties.filter(
            agency__in=dpo_of, supplies_data=True, approved_at__isnull=True).first()

    def _approves(self, user: User, agreement: DataSharingAgreement) -> bool:
        return agreement.status == DataSharingAgreement.Status.AWAITING_APPROVAL \
            and self.party_for_dpo(user, agreement) is not None

    def _revokes(self, user: User, agreement: DataSharingAgreement) -> bool:
        """An active agreement, by the DPO of any party or of the lead agency."""
        if agreement.status != DataSharingAgreement.Status.ACTIVE:
            return False
        dpo_of = set(roles_of(user).filter(role=Role.DPO).values_list("agency_id", flat=True))
        return agreement.programme.lead_agency_id in dpo_of \
            or agreement.parties.filter(agency__in=dpo_of).exists()

    def _awaiting(self, user: User) -> QuerySet[DataSharingAgreement]:
        dpo_of = roles_of(user).filter(role=Role.DPO).values("agency_id")
        return self.visible(user).filter(
            status=DataSharingAgreement.Status.AWAITING_APPROVAL,
            parties__agency__in=dpo_of, parties__supplies_data=True,
            parties__approved_at__isnull=True).distinct()


class LinkPolicy(RecordPolicy[PersonLink]):
    """A partner agency's recorded links to people: the coordinator records and ends them;
    the programme's case team sees them all; a partner-agency user sees its own agency's."""

    model = PersonLink
    kind = "person_link"
    rules = {"view": "_sees", "record": "_records", "end": "_ends"}

    def visible(self, user: User) -> QuerySet[PersonLink]:
        return PersonLink.objects.filter(
            Q(programme__in=case_detail_pks(user))
            | Q(programme__in=programme_pks(user, ALL_ROLES),
                agency__in=agencies_in(user, ALL_ROLES))
        ).select_related("agency", "person", "programme")

    def _records(self, user: User, link: PersonLink | None = None, *,
                 programme: Programme | None = None) -> bool:
        programme = programme or (link.programme if link else None)
        return programme is not None and holds(user, DECIDE, programme.pk)

    def _ends(self, user: User, link: PersonLink) -> bool:
        """The coordinator, or a user of the linked agency (it no longer works with them)."""
        return link.ended_at is None and self._sees(user, link) and (
            self._records(user, link) or link.agency_id in agencies_in(user, ALL_ROLES))


programmes = ProgrammePolicy()
entries = EntryPolicy()
people = PersonPolicy()
groups = GroupPolicy()
meetings = MeetingPolicy()
meeting_actions = MeetingActionPolicy()
interventions = InterventionPolicy()
runs = RunPolicy()
scores = ScorePolicy()
decisions = DecisionPolicy()
flags = FlagPolicy()
letters = LetterPolicy()
found_groups = FoundGroupPolicy()
agreements = AgreementPolicy()
links = LinkPolicy()
treatment_referrals = TreatmentReferralPolicy(entries)
harm_reduction = HarmReductionPolicy(entries)

jobs = JobPolicy()

KINDS: dict[str, RecordPolicy] = {p.kind: p for p in (
    programmes, entries, people, groups, meetings, meeting_actions, interventions, runs, scores,
    decisions, flags, letters, found_groups, agreements, links, deletion_confirmations,
    evaluations, notifications, challenges, subject_access_requests, jobs, agencies, staff,
    treatment_referrals, harm_reduction)}
