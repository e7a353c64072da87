"""Programmes: the problem, the area, the dates, the partner agencies and the model's emphasis."""

from collections.abc import Iterable
from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from .. import audit, policy
from ..models import Agency, Programme

FIELDS = ("name", "problem", "area", "start", "end", "emphasis", "uses_call_ins",
          "delivery_model")


def _validate(programme: Programme, agencies: list[Agency]) -> None:
    programme.full_clean(exclude=["agencies"], validate_unique=True)
    if programme.end and programme.end < programme.start:
        raise ValidationError({"end": "The end date must be the same as or after the start date"})
    if not agencies:
        raise ValidationError({"agencies": "Select at least one partner agency"})
    without = [a.name for a in agencies
               if a.pk != programme.lead_agency_id and a.pk not in _agreed(programme)]
    if without:
        raise ValidationError({"agencies": (
            f"{', '.join(without)} {'has' if len(without) == 1 else 'have'} no data-sharing "
            "agreement in force for this programme: an agency becomes a partner when its data "
            "protection officer has approved one")})


def _agreed(programme: Programme) -> set[int]:
    """Agencies that are parties to the programme's delivery agreement in force today."""
    if programme.pk is None:
        return set()
    return set(policy.agreements.in_force_parties(programme).values_list("agency_id", flat=True))


def create_programme(
    actor: AbstractBaseUser,
    *,
    name: str,
    problem: str,
    area: str,
    start: date,
    agencies: Iterable[Agency],
    end: date | None = None,
    emphasis: str = Programme.Emphasis.BALANCED,
    uses_call_ins: bool = True,
    delivery_model: str = "",
) -> Programme:
    """A coordinator starts a programme; their own agency must be among the partners, so
    they can run it."""
    agencies = list(agencies)
    coordinating = policy.programmes.coordinated_agencies(actor)
    if not coordinating:
        audit.record(actor, "create_programme", "programme", None, outcome=audit.DENIED)
        raise PermissionDenied("Only a programme coordinator may start a programme")
    if agencies and not coordinating & {agency.pk for agency in agencies}:
        raise ValidationError(
            {"agencies": "Include your own agency as a partner, so that you can run the programme"}
        )
    lead = min((a for a in agencies if a.pk in coordinating), key=lambda a: a.pk, default=None)
    programme = Programme(name=name.strip(), problem=problem.strip(), area=area.strip(),
                          start=start, end=end, emphasis=emphasis, uses_call_ins=uses_call_ins,
                          delivery_model=delivery_model, lead_agency=lead)
    _validate(programme, agencies)
    with transaction.atomic():
        programme.save()
        programme.agencies.set(agencies)
        policy.forget_grants()
        audit.record(actor, "create_programme", "programme", programme.pk,
                     **{f: getattr(programme, f) for f in FIELDS},
                     agencies=sorted(a.pk for a in agencies))
    return programme


def update_programme(
    actor: AbstractBaseUser, programme: Programme, *, agencies: Iterable[Agency], **values: object
) -> Programme:
    """Change a programme's settings; the audit row records what changed, from and to."""
    if not policy.programmes.can(actor, "decide", programme):
        audit.record(actor, "update_programme", "programme", programme.pk, outcome=audit.DENIED)
        raise PermissionDenied("You may not change this programme")
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise TypeError(f"unknown programme field(s): {', '.join(sorted(unknown))}")
    agencies = list(agencies)
    before = {f: getattr(programme, f) for f in FIELDS}
    before_agencies = sorted(programme.agencies.values_list("pk", flat=True))
    for field, value in values.items():
        setattr(programme, field, value.strip() if isinstance(value, str) else value)
    coordinating = policy.programmes.coordinated_agencies(actor)
    if agencies and not coordinating & {agency.pk for agency in agencies}:
        programme.refresh_from_db()
        raise ValidationError(
            {"agencies": "Keep your own agency as a partner, or you could no longer run it"}
        )
    try:
        _validate(programme, agencies)
    except ValidationError:
        programme.refresh_from_db()
        raise
    after_agencies = sorted(a.pk for a in agencies)
    changes = {
        f: [before[f], getattr(programme, f)] for f in FIELDS if before[f] != getattr(programme, f)
    }
    if before_agencies != after_agencies:
        changes["agencies"] = [before_agencies, after_agencies]
    with transaction.atomic():
        programme.save()
        programme.agencies.set(agencies)
        policy.forget_grants()
        audit.record(actor, "update_programme", "programme", programme.pk, changes=changes)
    return programme


def set_publish_scoring(actor: AbstractBaseUser, programme: Programme, publish: bool) -> Programme:
    """The coordinator chooses whether the programme's scoring page (the harm table, the RFGV
    formula, the selection criteria and what changed) is readable without sign-in."""
    if not policy.programmes.can(actor, "decide", programme):
        audit.record(actor, "publish_scoring", "programme", programme.pk, outcome=audit.DENIED)
        raise PermissionDenied("You may not change this programme")
    if not isinstance(publish, bool):
        raise ValidationError({"publish_scoring": "Select whether to publish the scoring page"})
    before = programme.publish_scoring
    with transaction.atomic():
        programme.publish_scoring = publish
        programme.save(update_fields=["publish_scoring"])
        audit.record(actor, "publish_scoring", "programme", programme.pk,
                     changes={"publish_scoring": [before, publish]} if before != publish else {})
    return programme


def set_current_run(actor: AbstractBaseUser, programme: Programme, run_pk: object) -> Programme:
    """The programme's analyst or coordinator marks the complete run it works from: the
    cohort, the panel, the agenda, the profile and the group flags use it from then on (an
    older backfill run finishing later no longer becomes current by itself)."""
    if not policy.programmes.can(actor, "set_current_run", programme):
        audit.record(actor, "set_current_run", "programme", programme.pk, outcome=audit.DENIED,
                     run=str(run_pk)[:20])
        raise PermissionDenied("Only the programme's analysts and coordinators choose its run")
    key = int(run_pk) if isinstance(run_pk, int | str) and str(run_pk).isdigit() else None
    run = policy.runs.visible(actor).filter(pk=key).first() if policy.valid_pk(key) else None
    if run is None:
        raise ValidationError({"run": "Choose a complete analysis run"})
    before = programme.current_run_id
    with transaction.atomic():
        programme.current_run = run
        programme.save(update_fields=["current_run"])
        audit.record(actor, "set_current_run", "programme", programme.pk, run=run.pk,
                     previous=before)
    return programme
