"""QuickSelect draws exactly the markup of Django's own template-drawn <select>."""

import re

import pytest
from django import forms

from deter.web.forms.base import GovukForm, QuickSelect

CHOICES = [
    ("", "Choose one"),
    ("a", "Alpha & <Omega>"),
    ("Group \"one\"", [(1, "One"), (2, "Two")]),
    (3, 'Three "quoted"'),
]


def same(html: str) -> str:
    return re.sub(r"\s+", " ", str(html)).replace("> <", "><").strip()


@pytest.mark.parametrize("value", [None, "", "a", 2, "missing"])
def test_it_matches_djangos_select(value):
    attrs = {"class": "govuk-select", "id": "id_x", "aria-describedby": "x-hint",
             "disabled": True, "data-off": False}
    django = forms.Select(attrs=attrs, choices=CHOICES).render("x", value)
    quick = QuickSelect(attrs=attrs, choices=CHOICES).render("x", value)
    assert same(quick) == same(django)
    assert "&lt;Omega&gt;" in quick and "data-off" not in quick


def test_govuk_forms_draw_their_selects_with_it():
    class Form(GovukForm):
        pick = forms.ChoiceField(choices=[("1", "One"), ("2", "Two")])
        text = forms.CharField()

    form = Form(data={"pick": "2"})
    assert type(form.fields["pick"].widget) is QuickSelect
    assert type(form.fields["text"].widget) is forms.TextInput
    html = str(form["pick"])
    assert 'class="govuk-select"' in html and '<option value="2" selected>Two</option>' in html
    # a class-level field is untouched: each form works on its own deep copy of the widget
    assert type(Form.base_fields["pick"].widget) is forms.Select
