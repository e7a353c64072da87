"""The analyst's upload of an extract."""

from django import forms

from .base import GovukForm, GovukRadios


class UploadForm(GovukForm):
    kind = forms.ChoiceField(
        label="What is in the zip file", widget=GovukRadios, initial="extract",
        choices=[("extract", "An extract in Deter's format"),
                 ("police_uk", "data.police.uk street-crime CSV files")],
    )
    upload = forms.FileField(
        label="Zip file", widget=forms.ClearableFileInput(
            attrs={"class": "govuk-file-upload", "accept": ".zip,application/zip"}),
        help_text="The extract's CSV or Parquet files (docs/extract-format.md), zipped. It is "
        "checked on the worker before anything is imported; on any error nothing is.",
        error_messages={"required": "Choose the zip file to upload"},
    )
