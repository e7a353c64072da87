"""Number formats the templates share."""

from django import template

register = template.Library()


@register.filter
def percent(value: float | None, digits: int = 1) -> str:
    """0.1234 -> "12.3%"; blank for a missing value."""
    if value is None or value == "":
        return "–"
    return f"{100 * float(value):.{int(digits)}f}%"
