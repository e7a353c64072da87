"""The evaluation page's choice of design and of the evidence it is compared with (a GET
form: choosing changes nothing)."""

from django import forms

from ..queries.programme_evaluation import DESIGNS, MODELS
from .base import GovukForm, GovukRadios


class EvaluationDesignForm(GovukForm):
    design = forms.ChoiceField(
        label="Design", required=False, choices=list(DESIGNS.items()), initial="its",
        widget=GovukRadios(hints={
            "its": "The cohort's offending month by month before and after acceptance, "
                   "against its own trend",
            "matched": "The cohort against similar people the analysis scored but the panel "
                       "did not accept",
            "did": "The change in the cohort's offending over calendar months against the "
                   "change for people not accepted, each month's cohort in turn",
            "synthetic": "The accepted groups against a weighted blend of the groups not "
                         "accepted that offended as they did before"}))
    model = forms.ChoiceField(
        label="Compare with the evidence for", required=False,
        choices=[("", "The programme's model (groups if it accepted any)"),
                 *MODELS.items()])

    def choice(self) -> tuple[str, str | None]:
        """The design and model chosen; the defaults where nothing valid was chosen."""
        if not self.is_bound or not self.is_valid():
            return "its", None
        return self.cleaned_data["design"] or "its", self.cleaned_data["model"] or None
