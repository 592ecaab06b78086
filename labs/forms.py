from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Submission


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class SubmissionForm(forms.Form):
    dockerfile = forms.CharField(
        label=_("Dockerfile"),
        required=False,
        max_length=64_000,
        widget=forms.Textarea(
            attrs={
                "class": "code-editor",
                "rows": 20,
                "spellcheck": "false",
                "autocapitalize": "off",
                "autocomplete": "off",
                "wrap": "off",
                "aria-describedby": "id_dockerfile_helptext",
            }
        ),
        help_text=_("Write or paste your Dockerfile. The lab's starter files are used for every file you do not send."),
    )
    # The form's metaclass moves fields off the class: the instance's `files` stays the uploads.
    files = MultipleFileField(  # type: ignore[assignment]
        label=_("Extra files (optional)"),
        required=False,
        help_text=_(
            "For example .dockerignore or a changed requirements.txt; they replace the starter file of the same name."
        ),
    )
    archive = forms.FileField(
        label=_("Or a .zip of the whole build context (optional)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,application/zip"}),
    )

    def clean_archive(self):
        archive = self.cleaned_data.get("archive")
        if archive and not archive.name.lower().endswith(".zip"):
            raise forms.ValidationError(_("Send the build context as a .zip file."))
        return archive


class SubmissionFilterForm(forms.Form):
    learner = forms.CharField(label=_("Learner"), required=False)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("any"))] + list(Submission.Status.choices)
    )
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end date is before the start date."))
        return data

    def filters(self) -> dict:
        """The filters that are valid: a mistyped date does not drop the learner filter."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value}
