"""Letter templates (the coordinator's) and the letters written from them."""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from .. import audit, policy
from ..domain import letters
from ..models import (
    Agency,
    CohortEntry,
    Intervention,
    InterventionUpdate,
    Letter,
    LetterTemplate,
    Programme,
    display_name,
    profile_of,
)


def save_letter_template(
    actor: AbstractBaseUser,
    programme: Programme,
    *,
    name: str,
    kind: str,
    body: str,
    template: LetterTemplate | None = None,
) -> LetterTemplate:
    """Create a template (``template=None``) or change one; unknown placeholders are refused,
    naming them."""
    if not policy.programmes.can(actor, "decide", programme) or (
        template is not None and template.programme_id != programme.pk
    ):
        audit.record(actor, "save_letter_template", "letter_template",
                     template.pk if template else None, outcome=audit.DENIED,
                     programme=programme.pk)
        raise PermissionDenied("Only the programme's coordinator manages its letter templates")
    creating = template is None
    if creating:
        template = LetterTemplate(programme=programme)
    before = None if creating else {"name": template.name, "kind": template.kind,
                                    "body": template.body}
    template.name, template.kind, template.body = name.strip(), kind, body.strip()
    template.updated_by = actor
    try:
        template.full_clean()
        letters.check_body(template.body)
    except ValidationError:
        if not creating:
            template.refresh_from_db()
        raise
    with transaction.atomic():
        template.save()
        audit.record(actor, "create_letter_template" if creating else "update_letter_template",
                     "letter_template", template.pk, programme=programme.pk, name=template.name,
                     kind=template.kind, before=before)
    return template


def _sender_agency(actor: AbstractBaseUser, programme: Programme) -> Agency | None:
    return (
        Agency.objects.filter(programmes=programme, staff_roles__user_id=actor.pk)
        .order_by("name").first()
    )


def _name(user) -> str:
    """A full name only: never a user name where a person's name belongs."""
    return display_name(user, fallback="") if user else ""


def _job_title(user, programme: Programme) -> str:
    profile = profile_of(user)
    if not profile or not profile.job_title:
        return ""
    agency = _sender_agency(user, programme)
    return letters.joined(profile.job_title, agency.name if agency else "")


def _contact(user) -> str:
    profile = profile_of(user)
    return letters.joined(profile.phone if profile else "", user.email if user else "",
                          sep=" or ")


def letter_values(entry: CohortEntry, recipient: str, address: str, sender, *,
                  reference: str = "") -> dict[str, str]:
    programme = entry.programme
    lead = entry.lead_professional
    return {
        "recipient": recipient,
        "address": address,
        "date": letters.long_date(timezone.localdate()),
        "programme": programme.name,
        "area": programme.area,
        "lead_professional": _name(lead),
        "lead_professional_job_title": _job_title(lead, programme) if lead else "",
        "lead_professional_contact": _contact(lead) if lead else "",
        "support_offer": entry.support_offer.strip(),
        "consequence": entry.enforcement_consequence.strip(),
        "sender": _name(sender),
        "sender_job_title": _job_title(sender, programme),
        "reference": reference,
    }


def _check_letter(actor, entry: CohortEntry, template: LetterTemplate, recipient: str,
                  address: str, values: dict[str, str]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not recipient:
        errors["recipient"] = "Enter the name of the person the letter is to"
    elif len(recipient) > 200:
        errors["recipient"] = "The name must be 200 characters or fewer"
    on_plan = values | {"lead_professional": "yes" if entry.lead_professional_id else ""}
    if missing := letters.missing_from_plan(template.body, on_plan):
        errors["template"] = (f"The template '{template.name}' uses the person's plan, which "
                              f"has no {' and no '.join(w.removeprefix('a ') for w in missing)}: "
                              f"add {' and '.join(missing)} to the plan first")
    elif missing_accounts := letters.missing_from_accounts(template.body, values):
        errors["template"] = _accounts_message(template, missing_accounts, entry, actor)
    if "address" in letters.placeholders_in(template.body) and not address:
        errors["address"] = "Enter the address: this template puts it in the letter"
    if _sender_agency(actor, entry.programme) is None:
        errors["template"] = "You are not on the staff of one of the programme's agencies"
    return errors


def _accounts_message(template: LetterTemplate, missing: dict[str, list[str]],
                      entry: CohortEntry, actor) -> str:
    parts = []
    for whose, what in missing.items():
        user = entry.lead_professional if whose == "lead professional" else actor
        parts.append(f"the {whose} ({user.get_username()}) has no {' and no '.join(what)}")
    return (f"The template '{template.name}' names people by their accounts, and "
            f"{'; '.join(parts)} in Deter: a system administrator adds them on the account's "
            "page (Administration, Users)")


def generate_letter(
    actor: AbstractBaseUser,
    entry: CohortEntry,
    template: LetterTemplate,
    recipient: str,
    address: str = "",
) -> Letter:
    """Write a letter to a person in a programme: a completed communication intervention
    (a focused deterrence letter or a custom notification) with the filled-in text, its
    reference (the programme's, the year's and its number), date of issue, the programme's
    security marking and the sending agency's letterhead, all fixed as sent."""
    if not policy.entries.can(actor, "write_letter", entry) \
            or template.programme_id != entry.programme_id:
        audit.record(actor, "generate_letter", "person", entry.person_id, outcome=audit.DENIED,
                     programme=entry.programme_id, template=template.pk)
        raise PermissionDenied("You may not write letters for this person")
    recipient, address = recipient.strip(), address.strip()
    values = letter_values(entry, recipient, address, actor)
    if errors := _check_letter(actor, entry, template, recipient, address, values):
        raise ValidationError(errors)
    agency = _sender_agency(actor, entry.programme)
    today = timezone.localdate()
    category = (Intervention.Category.LETTER if template.kind == LetterTemplate.Kind.LETTER
                else Intervention.Category.CUSTOM_NOTIFICATION)
    with transaction.atomic():
        programme = Programme.objects.select_for_update().get(pk=entry.programme_id)
        sequence = (Letter.objects.filter(intervention__programme=programme,
                                          issued_on__year=today.year)
                    .aggregate(last=Max("sequence"))["last"] or 0) + 1
        reference = letters.reference(programme.name, programme.pk, today.year, sequence)
        body = letters.fill(template.body, values | {"reference": reference})
        intervention = Intervention.objects.create(
            programme=entry.programme, person=entry.person, kind=Intervention.Kind.COMMUNICATION,
            category=category, title=template.name[:200], agency=agency,
            status=Intervention.Status.COMPLETED, start=today, end=today, created_by=actor,
        )
        InterventionUpdate.objects.create(
            intervention=intervention, status=Intervention.Status.COMPLETED, on=today,
            note=f"Letter {reference} written in Deter", recorded_by=actor,
        )
        letter = Letter.objects.create(
            template=template, intervention=intervention, recipient=recipient, address=address,
            body=body, created_by=actor, reference=reference, sequence=sequence,
            issued_on=today, security_marking=programme.security_marking,
            letterhead={"agency": agency.name, "address": agency.address,
                        "phone": agency.phone},
            logo_id=agency.logo_id,
            address_block="address" not in letters.placeholders_in(template.body),
        )
        audit.record(actor, "generate_letter", "letter", letter.pk, person=entry.person_id,
                     programme=entry.programme_id, template=template.pk,
                     intervention=intervention.pk, reference=reference,
                     marking=letter.security_marking)
    return letter


def letterhead_of(letter: Letter) -> letters.Letterhead:
    """What the letter's documents print besides its text, as it was when written."""
    head = letter.letterhead or {}
    return letters.Letterhead(
        agency=head.get("agency", ""), agency_address=head.get("address", ""),
        agency_phone=head.get("phone", ""),
        logo=bytes(letter.logo.image) if letter.logo_id else None,
        reference=letter.reference or "", issued_on=letter.issued_on,
        marking=letter.security_marking)
