"""Data-sharing agreements and partner links: the writes that decide who may see what.

A coordinator drafts an agreement and submits it; it becomes active only when the data
protection officer of every agency that supplies data has approved it, never on the
coordinator's word alone. Activation makes its parties the programme's partners and supersedes
the version before; revocation (by a party's DPO) or expiry withdraws access at once, because
the policy only honours agreements in force.
"""

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from .. import audit, policy
from ..domain.data_categories import Category
from ..domain.retention import check_agreed
from ..models import (
    Agency,
    AgreementParty,
    DataSharingAgreement,
    Person,
    PersonLink,
    Programme,
)

Status = DataSharingAgreement.Status
CHECKLIST_FIELDS = tuple(f for f, _ in DataSharingAgreement.CHECKLIST if f != "purpose_detail")


@dataclass(frozen=True)
class PartyTerms:
    """One agency's part in a draft agreement."""

    agency: Agency
    supplies_data: bool = False
    lawful_basis: str = ""
    categories: frozenset[str] = field(default_factory=frozenset)
    sees_adults: bool = True
    sees_children: bool = True


def _refuse(actor, action: str, obj_type: str, obj_id, message: str):
    audit.record(actor, action, obj_type, obj_id, outcome=audit.DENIED)
    raise PermissionDenied(message)


def _check_parties(parties: list[PartyTerms], special: bool, ethnicity: bool) -> None:
    if not parties:
        raise ValidationError({"parties": "Name at least one party to the agreement"})
    agencies = [p.agency.pk for p in parties]
    if len(set(agencies)) != len(agencies):
        raise ValidationError({"parties": "Each agency may be a party only once"})
    for terms in parties:
        unknown = set(terms.categories) - set(Category)
        if unknown:
            raise ValidationError({"parties": (
                f"{terms.agency}: unknown data categories {', '.join(sorted(unknown))}")})
        if terms.lawful_basis and terms.lawful_basis not in AgreementParty.LawfulBasis.values:
            raise ValidationError({"parties": f"{terms.agency}: unknown lawful basis "
                                              f"{terms.lawful_basis!r}"})
        if not special and Category.HEALTH in terms.categories:
            raise ValidationError({"parties": (
                f"{terms.agency}: health data is special category: the agreement must say "
                "it includes special-category data before any party may see it")})
        if not ethnicity and Category.ETHNICITY in terms.categories:
            raise ValidationError({"parties": (
                f"{terms.agency}: the agreement must say it includes ethnicity before any "
                "party may see it")})
        if not (terms.sees_adults or terms.sees_children):
            raise ValidationError({"parties": f"{terms.agency} would see nobody: choose adults, "
                                              "children or both"})


def new_pseudonym_key() -> str:
    return secrets.token_hex(32)


def _pseudonym_key(purpose: str, supersedes: DataSharingAgreement | None) -> str:
    """An evaluation agreement's key for its export's pseudonyms: the version it supersedes
    keeps its evaluation going, so it keeps the key; a first version gets a new one."""
    if purpose != DataSharingAgreement.Purpose.EVALUATION:
        return ""
    return (supersedes.pseudonym_key if supersedes is not None else "") or new_pseudonym_key()


def _check_retention(retention: object) -> None:
    """Retention periods in ``{kind: {"months": m, "days": d}}`` form, each within the maximum
    (``domain.retention.check_agreed``); the error names the kind and the value."""
    if retention is None:
        return
    try:
        check_agreed(retention)
    except ValueError as error:
        raise ValidationError({"retention": str(error)}) from error


def draft_agreement(
    actor: AbstractBaseUser,
    programme: Programme,
    *,
    title: str,
    purpose_detail: str,
    starts: date,
    review_date: date,
    parties: Iterable[PartyTerms],
    purpose: str = DataSharingAgreement.Purpose.DELIVERY,
    ends: date | None = None,
    special_category: bool = False,
    includes_ethnicity: bool = False,
    retention: dict | None = None,
    **checklist: str,
) -> DataSharingAgreement:
    """The programme's coordinator drafts a new version of its agreement."""
    if not policy.programmes.can(actor, "decide", programme):
        _refuse(actor, "draft_agreement", "programme", programme.pk,
                "Only the programme's coordinator may draft its data-sharing agreement")
    unknown = set(checklist) - set(CHECKLIST_FIELDS)
    if unknown:
        raise TypeError(f"unknown agreement field(s): {', '.join(sorted(unknown))}")
    parties = list(parties)
    _check_parties(parties, special_category, includes_ethnicity)
    if ends is not None and ends < starts:
        raise ValidationError({"ends": "The end date must be the same as or after the start"})
    _check_retention(retention)
    version = (programme.agreements.aggregate(v=Max("version"))["v"] or 0) + 1
    supersedes = programme.agreements.filter(purpose=purpose).order_by("-version").first()
    agreement = DataSharingAgreement(
        programme=programme, version=version, title=title.strip(), purpose=purpose,
        purpose_detail=purpose_detail.strip(), starts=starts, ends=ends,
        review_date=review_date, special_category=special_category,
        includes_ethnicity=includes_ethnicity, retention=retention or {}, created_by=actor,
        supersedes=supersedes, pseudonym_key=_pseudonym_key(purpose, supersedes),
        **{k: v.strip() for k, v in checklist.items()},
    )
    agreement.full_clean(exclude=["supersedes", "created_by"])
    with transaction.atomic():
        agreement.save()
        AgreementParty.objects.bulk_create(
            AgreementParty(agreement=agreement, agency=t.agency, supplies_data=t.supplies_data,
                           lawful_basis=t.lawful_basis, categories=sorted(t.categories),
                           sees_adults=t.sees_adults, sees_children=t.sees_children)
            for t in parties)
        audit.record(actor, "draft_agreement", "agreement", agreement.pk,
                     programme=programme.pk, version=version, purpose=purpose,
                     parties={t.agency.name: sorted(t.categories) for t in parties})
    return agreement


def submit_agreement(actor: AbstractBaseUser, agreement: DataSharingAgreement
                     ) -> DataSharingAgreement:
    """Send a complete draft to the suppliers' data protection officers."""
    if not policy.agreements.can(actor, "edit", agreement):
        _refuse(actor, "submit_agreement", "agreement", agreement.pk,
                "Only the programme's coordinator may submit a draft agreement")
    missing = agreement.missing()
    if missing:
        raise ValidationError({"__all__": "The agreement is missing: " + "; ".join(missing)})
    with transaction.atomic():
        agreement.status = Status.AWAITING_APPROVAL
        agreement.save(update_fields=["status"])
        audit.record(actor, "submit_agreement", "agreement", agreement.pk)
    return agreement


def approve_agreement(actor: AbstractBaseUser, agreement: DataSharingAgreement
                      ) -> DataSharingAgreement:
    """A supplying agency's DPO approves; the last approval activates the agreement."""
    party = policy.agreements.party_for_dpo(actor, agreement)
    if party is None or not policy.agreements.can(actor, "approve", agreement):
        _refuse(actor, "approve_agreement", "agreement", agreement.pk,
                "Only the data protection officer of an agency that supplies data, whose "
                "approval is outstanding, may approve this agreement")
    with transaction.atomic():
        party.approved_by, party.approved_at = actor, timezone.now()
        party.save(update_fields=["approved_by", "approved_at"])
        waiting = agreement.parties.filter(supplies_data=True, approved_at__isnull=True)
        activated = not waiting.exists()
        if activated:
            _activate(agreement)
        audit.record(actor, "approve_agreement", "agreement", agreement.pk,
                     agency=party.agency.name, activated=activated)
    policy.forget_grants()
    return agreement


def _activate(agreement: DataSharingAgreement) -> None:
    previous = DataSharingAgreement.objects.filter(
        programme=agreement.programme, purpose=agreement.purpose, status=Status.ACTIVE,
    ).exclude(pk=agreement.pk)
    for old in previous:
        old.status = Status.SUPERSEDED
        old.ended_reason = f"Superseded by version {agreement.version}"
        old.save(update_fields=["status", "ended_reason"])
    agreement.status = Status.ACTIVE
    agreement.save(update_fields=["status"])
    if agreement.purpose == DataSharingAgreement.Purpose.DELIVERY:
        agreement.programme.agencies.add(*agreement.parties.values_list("agency_id", flat=True))


def revoke_agreement(actor: AbstractBaseUser, agreement: DataSharingAgreement, reason: str
                     ) -> DataSharingAgreement:
    """A party's DPO withdraws the agreement: its parties' access ends at once."""
    if not policy.agreements.can(actor, "revoke", agreement):
        _refuse(actor, "revoke_agreement", "agreement", agreement.pk,
                "Only the data protection officer of a party may revoke an active agreement")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the agreement is revoked"})
    with transaction.atomic():
        agreement.status = Status.REVOKED
        agreement.ended_reason = reason.strip()
        agreement.save(update_fields=["status", "ended_reason"])
        audit.record(actor, "revoke_agreement", "agreement", agreement.pk, reason=reason.strip())
    policy.forget_grants()
    return agreement


def expire_agreements(on: date | None = None) -> int:
    """Mark active agreements past their end date expired (the system, daily). Access has
    already ended on the day after ``ends``: this makes the status say so."""
    on = on or timezone.localdate()
    with transaction.atomic():
        due = list(DataSharingAgreement.objects.select_for_update().filter(
            status=Status.ACTIVE, ends__lt=on))
        for agreement in due:
            agreement.status = Status.EXPIRED
            agreement.ended_reason = f"Expired after {agreement.ends:%-d %B %Y}"
            agreement.save(update_fields=["status", "ended_reason"])
            audit.record(None, "expire_agreement", "agreement", agreement.pk)
    return len(due)


def record_link(actor: AbstractBaseUser, programme: Programme, *, agency: Agency,
                person: Person, relationship: str, note: str = "") -> PersonLink:
    """The coordinator records that a partner agency works with a person in the cohort."""
    if not policy.links.can(actor, "record", programme=programme):
        _refuse(actor, "record_link", "programme", programme.pk,
                "Only the programme's coordinator may link a partner agency to a person")
    if not programme.agencies.filter(pk=agency.pk).exists():
        raise ValidationError({"agency": f"{agency} is not a partner in this programme"})
    if not programme.cohort.filter(person=person).exists():
        raise ValidationError({"person": f"{person} is not in this programme's cohort"})
    if relationship not in PersonLink.Relationship.values:
        raise ValidationError({"relationship": f"Unknown relationship {relationship!r}"})
    if PersonLink.objects.filter(programme=programme, agency=agency, person=person,
                                 ended_at__isnull=True).exists():
        raise ValidationError({"person": f"{agency} is already linked to {person}"})
    with transaction.atomic():
        link = PersonLink.objects.create(
            programme=programme, agency=agency, person=person, relationship=relationship,
            note=note.strip()[:200], recorded_by=actor)
        audit.record(actor, "record_link", "person_link", link.pk, programme=programme.pk,
                     agency=agency.name, person=person.pk, relationship=relationship)
    return link


def end_link(actor: AbstractBaseUser, link: PersonLink) -> PersonLink:
    """The agency no longer works with the person: it stops seeing them."""
    if not policy.links.can(actor, "end", link):
        _refuse(actor, "end_link", "person_link", link.pk,
                "Only the coordinator or the linked agency may end this link")
    with transaction.atomic():
        link.ended_at = timezone.now()
        link.save(update_fields=["ended_at"])
        audit.record(actor, "end_link", "person_link", link.pk, person=link.person_id)
    return link
