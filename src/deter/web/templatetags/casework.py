"""Template helpers for interventions, letters and the group response.

``group_casework`` lets the group page's include (``deter/programme/group_casework.html``) fetch
its own data through the access policy, so the group page's view need not know about flags or
group interventions.
"""

from django import template

from .. import policy
from ..domain import intervention_catalogue as catalogue
from ..forms.casework import FlagResponseForm, GroupInterventionForm
from ..models import GroupViolenceFlag
from ..queries import outcomes

register = template.Library()

STATUS_TAGS = {
    "planned": "govuk-tag--grey",
    "referred": "govuk-tag--blue",
    "accepted": "govuk-tag--light-blue",
    "engaged": "govuk-tag--turquoise",
    "active": "govuk-tag--purple",
    "completed": "govuk-tag--green",
    "declined": "govuk-tag--orange",
    "closed": "govuk-tag--grey",
    # group violence flags
    "open": "govuk-tag--red",
    "responding": "govuk-tag--yellow",
    "done": "govuk-tag--green",
}


@register.filter
def status_tag(status: str) -> str:
    """The GOV.UK tag colour class for an intervention's or a flag's status."""
    return STATUS_TAGS.get(status, "govuk-tag--grey")


@register.filter
def category_label(category: str) -> str:
    return catalogue.category_label(category)


@register.filter
def days(value: int | None) -> str:
    if value is None:
        return "–"
    return f"{value} day{'' if value == 1 else 's'}"


@register.simple_tag(takes_context=True)
def group_casework(context, group) -> dict:
    """Flags, response forms and the group's interventions, as the user may see them."""
    user = context["request"].user
    if not policy.groups.visible(user).filter(pk=group.pk).exists():
        return {"visible": False}
    can_respond = policy.groups.can(user, "edit_plan", group)
    flags = list(
        policy.flags.visible(user).filter(group=group)
        .select_related("event", "person", "responded_by").order_by("-raised_at", "-pk")
    )
    errors = context.get("casework_flag_form")
    for flag in flags:
        bound = errors if errors is not None and errors.prefix == f"flag-{flag.pk}" else None
        flag.form = bound or (FlagResponseForm(prefix=f"flag-{flag.pk}",
                                               initial={"status": flag.status,
                                                        "response": flag.response})
                              if can_respond else None)
    can_add = policy.groups.can(user, "add_intervention", group)
    form = context.get("casework_group_form") or (
        GroupInterventionForm(group=group, prefix="group-intervention") if can_add else None)
    interventions = list(
        policy.interventions.visible(user).filter(group=group)
        .select_related("agency", "created_by")
        .order_by("-created_at", "-pk")
    )
    recorded = outcomes.for_interventions([i.pk for i in interventions])
    for intervention in interventions:
        intervention.recorded = recorded[intervention.pk]  # results, premises, schedule
    return {
        "visible": True,
        "flags": flags,
        "open_count": sum(f.status != GroupViolenceFlag.Status.DONE for f in flags),
        "can_respond": can_respond,
        "interventions": interventions,
        "form": form if can_add else None,
    }
