"""Forms of a user's own account: the second factor, enrolling one, a new password."""

from django import forms
from django.contrib.auth.forms import PasswordChangeForm

from .base import GovukForm


class SecondFactorForm(GovukForm):
    code = forms.CharField(
        label="Code", max_length=20,
        help_text="The 6-digit code your authenticator app shows now, or one of your "
        "recovery codes",
        error_messages={"required": "Enter the code from your authenticator app, or a "
                                    "recovery code"})

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.update({
            "autocomplete": "one-time-code", "spellcheck": "false",
            "class": "govuk-input govuk-input--width-10"})


class EnrolForm(GovukForm):
    code = forms.CharField(
        label="Code from your authenticator app", max_length=10,
        help_text="6 digits, for example 123456",
        error_messages={"required": "Enter the 6-digit code your authenticator app shows"})

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.update({
            "autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false",
            "class": "govuk-input govuk-input--width-5"})


class GovukPasswordChangeForm(GovukForm, PasswordChangeForm):
    """Django's own checks (the current password, the validators in
    ``AUTH_PASSWORD_VALIDATORS``, the two new ones matching); the view saves through
    ``actions.accounts.change_password``, never ``form.save()``."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = "Current password"
        self.fields["old_password"].error_messages["required"] = "Enter your current password"
        self.fields["new_password1"].error_messages["required"] = "Enter a new password"
        self.fields["new_password2"].label = "Confirm the new password"
        self.fields["new_password2"].error_messages["required"] = "Enter the new password again"
        self.fields["new_password1"].help_text = (
            "At least 12 characters, not a common password and not like your username")
        self.error_messages = {**self.error_messages,
                               "password_incorrect": "Your current password is not right",
                               "password_mismatch": "The two new passwords do not match"}
