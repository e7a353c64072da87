"""The one definition of a child (``domain.people``), for templates."""

from django import template
from django.utils.html import format_html

from ..domain import people

register = template.Library()


@register.filter
def is_child(age: int | None) -> bool:
    return people.is_child(age)


@register.filter
def child_tag(age: int | None) -> str:
    """The orange "Child" tag (or "Treated as a child" for an unknown age); blank for an
    adult."""
    label = people.child_label(age)
    return format_html(' <strong class="govuk-tag govuk-tag--orange">{}</strong>', label) \
        if label else ""
