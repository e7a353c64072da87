"""The system administrator's forms: an agency with its letterhead, an account, a role."""

from django import forms

from .. import policy
from ..domain.logos import MAX_BYTES, check_logo
from ..models import Agency, StaffRole
from .base import GovukForm


class AgencyForm(GovukForm):
    name = forms.CharField(label="Name", max_length=200,
                           error_messages={"required": "Enter the agency's name"})
    kind = forms.ChoiceField(label="Kind of agency",
                             choices=[("", "Choose the kind"), *Agency.Kind.choices],
                             error_messages={"required": "Select the kind of agency"},
                             help_text="Police forces and Violence Reduction Units hold police "
                             "intelligence: their analysts import and analyse")
    address = forms.CharField(label="Postal address (optional)", required=False,
                              widget=forms.Textarea(attrs={"rows": 4}),
                              help_text="As printed on the letterhead, one line a line")
    phone = forms.CharField(label="Phone number (optional)", required=False, max_length=40,
                            widget=forms.TextInput(attrs={"class": "govuk-input--width-20",
                                                          "autocomplete": "off"}))
    logo = forms.FileField(
        label="Logo for the letterhead (optional)", required=False,
        widget=forms.ClearableFileInput(attrs={"class": "govuk-file-upload",
                                               "accept": "image/png,image/jpeg"}),
        help_text="A PNG or JPEG image of at most 1 MB and 2,000 pixels a side")
    remove_logo = forms.BooleanField(label="Print letters without a logo", required=False,
                                     widget=forms.CheckboxInput(
                                         attrs={"class": "govuk-checkboxes__input"}))

    def clean_logo(self):
        upload = self.cleaned_data.get("logo")
        if not upload:
            return None
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(f"{upload.name} is {upload.size / 1024 / 1024:.1f} MB: "
                                        "the logo must be 1 MB or smaller")
        content = upload.read()
        try:
            check_logo(content, upload.name)
        except forms.ValidationError as error:
            raise forms.ValidationError(error.message_dict["logo"]) from None
        return (upload.name, content)


class AccountForm(GovukForm):
    username = forms.CharField(
        label="User name", max_length=150,
        error_messages={"required": "Enter a user name they will sign in with"},
        help_text="Letters, digits and @ . + - _ only", widget=forms.TextInput(
            attrs={"class": "govuk-input--width-20", "autocomplete": "off",
                   "spellcheck": "false"}))
    full_name = forms.CharField(
        label="Full name", max_length=200,
        error_messages={"required": "Enter their full name, as their letters will be signed"},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    job_title = forms.CharField(label="Job title", required=False, max_length=200,
                                help_text="Printed on letters beside their name")
    email = forms.CharField(label="Email address (optional)", required=False, max_length=254,
                            widget=forms.EmailInput(attrs={"autocomplete": "off",
                                                           "spellcheck": "false"}))
    phone = forms.CharField(label="Phone number (optional)", required=False, max_length=40,
                            widget=forms.TextInput(attrs={"class": "govuk-input--width-20",
                                                          "autocomplete": "off"}))

    def __init__(self, *args, creating: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not creating:
            del self.fields["username"]


class RoleForm(GovukForm):
    agency = forms.ModelChoiceField(
        label="Agency", queryset=Agency.objects.none(), empty_label="Choose the agency",
        error_messages={"required": "Select the agency the role is held at"})
    role = forms.ChoiceField(label="Role", choices=[("", "Choose the role"),
                                                    *StaffRole.Role.choices],
                             error_messages={"required": "Select the role"},
                             help_text="The role holds in every programme the agency leads "
                             "or is a party to the agreement of")

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = policy.agencies.visible(user).order_by("name")
