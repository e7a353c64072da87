"""Links the templates build from the page they are on."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def this_page_with(context, **changes: str) -> str:
    """This page's query string with some parameters set and the others kept, so that "list
    every event" keeps the timeline's filter and page: ``?show=events&page=2&events=all``."""
    query = context["request"].GET.copy()
    for name, value in changes.items():
        query[name] = value
    return f"?{query.urlencode()}"
