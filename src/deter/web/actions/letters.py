"""Letter templates (the coordinator's) and the letters written from them."""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
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
    return (user.get_full_name() or user.get_username()) if user else ""


def letter_values(entry: CohortEntry, recipient: str, address: str, sender) -> dict[str, str]:
    programme = entry.programme
    return {
        "recipient": recipient,
        "address": address,
        "date": letters.long_date(timezone.localdate()),
        "programme": programme.name,
        "area": programme.area,
        "lead_professional": _name(entry.lead_professional),
        "support_offer": entry.support_offer.strip(),
        "consequence": entry.enforcement_consequence.strip(),
        "sender": _name(sender),
    }


def generate_letter(
    actor: AbstractBaseUser,
    entry: CohortEntry,
    template: LetterTemplate,
    recipient: str,
    address: str = "",
) -> Letter:
    """Write a letter to a person in a programme: a completed communication intervention
    (a focused deterrence letter or a custom notification) with the filled-in text."""
    if not policy.entries.can(actor, "write_letter", entry) \
            or template.programme_id != entry.programme_id:
        audit.record(actor, "generate_letter", "person", entry.person_id, outcome=audit.DENIED,
                     programme=entry.programme_id, template=template.pk)
        raise PermissionDenied("You may not write letters for this person")
    recipient, address = recipient.strip(), address.strip()
    errors: dict[str, str] = {}
    if not recipient:
        errors["recipient"] = "Enter the name of the person the letter is to"
    elif len(recipient) > 200:
        errors["recipient"] = "The name must be 200 characters or fewer"
    values = letter_values(entry, recipient, address, actor)
    if missing := letters.missing_from_plan(template.body, values):
        errors["template"] = (f"The template '{template.name}' uses the person's plan, which "
                              f"has no {' and no '.join(w.removeprefix('a ') for w in missing)}: "
                              f"add {' and '.join(missing)} to the plan first")
    if "address" in letters.placeholders_in(template.body) and not address:
        errors["address"] = "Enter the address: this template puts it in the letter"
    agency = _sender_agency(actor, entry.programme)
    if agency is None:
        errors["template"] = "You are not on the staff of one of the programme's agencies"
    if errors:
        raise ValidationError(errors)
    body = letters.fill(template.body, values)
    today = timezone.localdate()
    category = (Intervention.Category.LETTER if template.kind == LetterTemplate.Kind.LETTER
                else Intervention.Category.CUSTOM_NOTIFICATION)
    with transaction.atomic():
        intervention = Intervention.objects.create(
            programme=entry.programme, person=entry.person, kind=Intervention.Kind.COMMUNICATION,
            category=category, title=template.name[:200], agency=agency,
            status=Intervention.Status.COMPLETED, start=today, end=today, created_by=actor,
        )
        InterventionUpdate.objects.create(
            intervention=intervention, status=Intervention.Status.COMPLETED, on=today,
            note="Letter written in Deter", recorded_by=actor,
        )
        letter = Letter.objects.create(
            template=template, intervention=intervention, recipient=recipient, address=address,
            body=body, created_by=actor,
        )
        audit.record(actor, "generate_letter", "letter", letter.pk, person=entry.person_id,
                     programme=entry.programme_id, template=template.pk,
                     intervention=intervention.pk)
    return letter
