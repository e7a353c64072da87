"""The access policy: the one place that decides who may see and do what.

Each record kind has one policy object with the same vocabulary (``base.RecordPolicy``):
``policy.people.visible(user)``, ``policy.people.get(user, pk)``,
``policy.entries.can(user, "edit_plan", entry)``, ``policy.programmes.instances(user, "decide")``,
``policy.programmes.users_with("assign", programme)`` and ``policy.people.fields(user, person)``.
Views fetch records with ``views.access.get_visible_or_404``.

Every view, action and export asks this module; nothing else filters people by agency or role.
Querysets here are lazy and compose into single SQL statements, so asking the policy costs no
extra queries per row.

The rules, from ``StaffRole`` (a user's agencies and roles) and ``Programme.agencies``:

- A user holds a role in a programme only through its lead agency or an agency that is party
  to its data-sharing agreement in force today (``grants``); what they may see of a record is
  the agreement's data categories for that agency (``fields``; the lead agency's staff, all).
- A person is visible only through a ``CohortEntry`` in such a programme, and only in the age
  band (adults, children) the agreement covers.
- The coordinator and police or VRU analysts see entries of every status; other analysts and
  caseworkers only active and stepped-down entries; partner-agency users only active and
  stepped-down people their agency has an open ``PersonLink`` to, and not while a review is
  overdue beyond the grace period.
- A user whose agencies partner in no programme sees nobody. Superuser status grants nothing.
- Analysts, coordinators and caseworkers may record interventions by any of the programme's
  agencies; partner-agency users only with their own agency as the provider.
- Police-held case detail (events, recorded group memberships, harm scores and their
  explanation) is shown to analysts, coordinators and caseworkers whose agreement grants police
  intelligence; another agency's enforcement or health interventions only where agreed.
- Panel decisions (accept, reject, defer, step down, exit), proposals from an analysis run,
  programme settings, meetings and letter templates are the coordinator's: a coordinator of a
  partner agency decides for that programme.
- Plans: the coordinator and the person's lead professional edit a person's plan (support
  offer, consequence, safeguarding); a group's plan, its coordinator and lead professional.
- Cohort groups are police-held analysis: analysts, coordinators and caseworkers see them
  (caseworkers only active and stepped-down groups); partner-agency users do not.
- Meetings and their actions are seen by analysts, coordinators and caseworkers of the
  programme, and by anyone invited to attend; an action is always visible to its owner, who
  (with the coordinator) may mark it done.
- A cohort entry whose review date passed more than ``DETER_REVIEW_GRACE_DAYS`` (28) ago
  without a decision is suspended from partner-agency users' view until it is reviewed
  (``policy.reviews``).
- The programme's DPO sees what falls due under the retention schedule, the overdue reviews
  in numbers and every agency's outstanding deletion confirmations; any user of an agency sees
  and confirms that agency's own (``policy.retention``).
- The data protection officer of a programme's lead agency, or of an agency party to any
  version of its agreement, reads its audit trail in the DPO console (``see_audit``): who
  viewed its people, what its agencies' staff did, access flagged outside a caseload or in
  unusual volume, and the log as CSV. Agreements are drafted and submitted by the programme's
  coordinator, approved by each supplying agency's DPO and revoked by the DPO of a party or
  of the lead agency; partner links are recorded by the coordinator and ended by the
  coordinator or the linked agency.
- Interventions are seen with the person (or group) they are for; they are moved along their
  life-cycle (and an order's breaches recorded) by whoever may record interventions by the
  provider agency, so a partner only its own agency's; a group's, by its coordinator and lead
  professional. Letters name and address a person: the coordinator, the programme's
  caseworkers and the person's lead professional write and read them. The delivery page is for
  analysts, coordinators and caseworkers.
- The problem profile (found groups, their rivalries and alliances with the evidence events,
  hotspots, time patterns, disproportionality) is police-held analysis too: analysts,
  coordinators and caseworkers of a programme see it; it names people only through the rules
  above. A programme's fairness page (disproportionality of its proposals and cohort, counts
  under ten suppressed) is for its analysts, coordinators, caseworkers and data protection
  officer.
- A programme's evaluation export (pseudonymised, coarsened and k-anonymous: no name, key,
  date of birth or exact date) is taken only by an evaluator of an agency that is a party to
  one of the programme's evaluation agreements in force, under that agreement
  (``policy.evaluation``); ethnicity is in it only if the agreement includes ethnicity.
  The programme's evaluation page (``programmes``' ``see_evaluation``: its estimates,
  diagnostics, fidelity and evidence comparison, pseudonymous aggregates only) is for that
  evaluator and the programme's coordinator.

- Individuals' rights (``policy.rights``): the coordinator and the DPO who answers for the
  programme (its lead agency's, or a police force's or VRU's) record whether and how each
  person in the cohort was told (or why not, until when) and log challenges; a challenge is
  decided by one of them who did not accept the person. An upheld challenge removes the
  entry: only those who decide in the programme still see a removed entry (and the meeting
  actions about it). Subject access requests are that DPO's.

- The drug-market pathway (``policy.drug_market``, issue 16): a treatment provider's staff
  refer the people they see and record the episode; its clinical detail is the provider's
  and the lead agency's coordinator's alone; harm-reduction records are seen where health
  data is agreed; the ADDER dashboard is for anyone in a drug-market programme.

- Imports and analysis runs started in the app, and their progress, are for the analysts of a
  police force or a VRU (``policy.jobs``).

- Agencies, staff accounts and their roles are entered by a system administrator
  (``policy.agencies``, ``policy.staff``; ``policy.administration``), a flag set from the
  command line; it grants no role in any programme and shows no person. An administrator
  does not deactivate themselves.

A record a user may not see and one that does not exist look the same: ``Http404``.
"""

from .administration import is_system_administrator
from .base import MAX_PK, Category, RecordPolicy, UnknownAction, valid_pk
from .grants import POLICE_OR_VRU, Role, User, caching_grants, forget_grants, roles_of, stop_caching
from .records import (
    KINDS,
    agencies,
    agreements,
    challenges,
    decisions,
    deletion_confirmations,
    entries,
    evaluations,
    flags,
    found_groups,
    groups,
    harm_reduction,
    interventions,
    jobs,
    letters,
    links,
    meeting_actions,
    meetings,
    notifications,
    people,
    programmes,
    runs,
    scores,
    staff,
    subject_access_requests,
    treatment_referrals,
)

__all__ = [
    "KINDS", "MAX_PK", "POLICE_OR_VRU", "Category", "RecordPolicy", "Role", "UnknownAction", "User",
    "agencies", "agreements", "caching_grants", "challenges", "decisions", "deletion_confirmations",
    "entries", "evaluations", "flags",
    "forget_grants", "found_groups", "groups", "harm_reduction", "interventions", "jobs", "letters",
    "links",
    "meeting_actions",
    "meetings", "notifications", "people", "programmes", "roles_of", "runs", "scores",
    "is_system_administrator", "staff", "stop_caching", "subject_access_requests",
    "treatment_referrals", "valid_pk",
]
