"""``{% csrf_token %}``, as every Deter form writes it, also gives the form a once-only token
(``actions.forms``), so no template can forget it. Loaded as a builtin (settings.TEMPLATES),
after Django's own, whose tag of the same name it wraps."""

from django import template
from django.template.defaulttags import CsrfTokenNode
from django.utils.html import format_html

from ..actions import forms as once

register = template.Library()


class OnceOnlyCsrfTokenNode(template.Node):
    def __init__(self) -> None:
        self.csrf = CsrfTokenNode()

    def render(self, context) -> str:
        return self.csrf.render(context) + format_html(
            '<input type="hidden" name="{}" value="{}">', once.FIELD, once.new_token())


@register.tag("csrf_token")
def csrf_token(parser, token) -> OnceOnlyCsrfTokenNode:
    return OnceOnlyCsrfTokenNode()
