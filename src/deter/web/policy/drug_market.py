"""Who records and sees the drug-market pathway (Project ADDER, issue 16).

- A treatment provider is an agency of kind ``treatment`` that partners in the programme; its
  staff (in any role the programme grants them, usually a partner agency's drug worker with a
  recorded link to the person) refer the people they see into treatment with their own agency
  as the provider, and record the episode's triage, assessment, start and exit.
- Everyone who sees the person's place in the programme sees that a referral exists, when it
  was made and its stage (referred, triaged, assessed, in treatment, left). Its clinical
  detail (the source, the dates after referral, the modality, the exit reason, the waiting
  time) is the provider's: only the provider agency's staff and the coordinator of the
  programme's lead agency see it (``fields`` grants ``Category.HEALTH``), whatever the
  agreement grants other partners.
- Harm-reduction records (naloxone supplied, near-fatal overdoses, drug-related deaths) are
  recorded by the programme's analysts, coordinators, caseworkers and treatment providers for
  people they see, and seen with the person by those whose agreement grants health data, and
  by the agency that recorded them.
- The ADDER dashboard (``programmes``' ``see_adder``: monthly counts, never a person) is for
  anyone in a drug-market programme.
"""

from django.db.models import Exists, OuterRef, Q, QuerySet

from ..models import Agency, CohortEntry, HarmReductionRecord, TreatmentReferral
from .base import Category, RecordPolicy
from .grants import ALL_ROLES, DECIDE, RECORD_FOR_ANY_AGENCY, User, grants_of, holds, programme_pks

TREATMENT = Agency.Kind.TREATMENT
NON_CLINICAL = frozenset({Category.IDENTITY, Category.COHORT})


def treatment_agencies(user: User, programme_pk: int) -> frozenset[int]:
    """The treatment agencies through which the user holds a role in the programme."""
    through = {g.agency for g in grants_of(user) if g.programme == programme_pk}
    if not through:
        return frozenset()
    return frozenset(Agency.objects.filter(pk__in=through, kind=TREATMENT)
                     .values_list("pk", flat=True))


def lead_coordinator(user: User, programme_pk: int) -> bool:
    return programme_pk in programme_pks(user, DECIDE, lead=True)


def refers(user: User, entry: CohortEntry) -> bool:
    """Staff of a treatment agency of the programme, for a person they see there."""
    return bool(treatment_agencies(user, entry.programme_id))


def records_harm_reduction(user: User, entry: CohortEntry) -> bool:
    return holds(user, RECORD_FOR_ANY_AGENCY, entry.programme_id) or refers(user, entry)


class TreatmentReferralPolicy(RecordPolicy[TreatmentReferral]):
    model = TreatmentReferral
    kind = "treatment_referral"
    rules = {"view": "_sees", "record": "_records", "see_clinical": "_sees_clinical"}

    def __init__(self, entries: RecordPolicy[CohortEntry]) -> None:
        self.entries = entries

    def visible(self, user: User) -> QuerySet[TreatmentReferral]:
        """Seen with the person's place in the programme."""
        seen = self.entries.visible(user).filter(
            person_id=OuterRef("person_id"), programme_id=OuterRef("programme_id"))
        return TreatmentReferral.objects.filter(Exists(seen))

    def of_person(self, user: User, person) -> QuerySet[TreatmentReferral]:
        return (self.visible(user).filter(person=person)
                .select_related("programme", "provider").order_by("-referred_on", "-pk"))

    def fields(self, user: User, referral: TreatmentReferral) -> frozenset[Category]:
        if not self._sees(user, referral):
            return frozenset()
        if self._clinical(user, referral):
            return NON_CLINICAL | {Category.HEALTH}
        return NON_CLINICAL

    def _clinical(self, user: User, referral: TreatmentReferral) -> bool:
        return referral.provider_id in treatment_agencies(user, referral.programme_id) \
            or lead_coordinator(user, referral.programme_id)

    def _sees_clinical(self, user: User, referral: TreatmentReferral) -> bool:
        return self._sees(user, referral) and self._clinical(user, referral)

    def _records(self, user: User, referral: TreatmentReferral) -> bool:
        """Triage, assessment, start and exit: the provider agency's staff."""
        return self._sees(user, referral) \
            and referral.provider_id in treatment_agencies(user, referral.programme_id)


class HarmReductionPolicy(RecordPolicy[HarmReductionRecord]):
    model = HarmReductionRecord
    kind = "harm_reduction_record"
    rules = {"view": "_sees"}

    def __init__(self, entries: RecordPolicy[CohortEntry]) -> None:
        self.entries = entries

    def visible(self, user: User) -> QuerySet[HarmReductionRecord]:
        seen = self.entries.visible(user).filter(
            person_id=OuterRef("person_id"), programme_id=OuterRef("programme_id"))
        health = programme_pks(user, ALL_ROLES, category=Category.HEALTH)
        return HarmReductionRecord.objects.filter(
            Exists(seen),
            Q(programme__in=health) | Q(agency__in={g.agency for g in grants_of(user)}))

