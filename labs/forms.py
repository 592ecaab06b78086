import hashlib
from collections.abc import Mapping

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Submission
from .services import EditorFile


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


# The files the lab page's editor holds, by form field: every lab's build context has a
# Dockerfile, and the checks read a .dockerignore beside it.
EDITOR_FILES = {"dockerfile": "Dockerfile", "dockerignore": ".dockerignore"}


def editor_text(text: str) -> str:
    """The text as compared: a browser sends a textarea's lines ending in CRLF."""
    return text.replace("\r\n", "\n").replace("\r", "\n").rstrip()


def editor_digest(text: str) -> str:
    """What the page put in an editor, sent back beside it: unchanged text has the same digest."""
    return hashlib.sha256(editor_text(text).encode("utf-8")).hexdigest()


def _code_editor(field: str, rows: int) -> forms.Textarea:
    return forms.Textarea(
        attrs={
            "class": "code-editor",
            "rows": rows,
            "spellcheck": "false",
            "autocapitalize": "off",
            "autocomplete": "off",
            "wrap": "off",
            "aria-describedby": f"id_{field}_helptext id_editor_rule",
        }
    )


class SubmissionForm(forms.Form):
    dockerfile = forms.CharField(
        label=_("Dockerfile"),
        required=False,
        max_length=64_000,
        strip=False,  # a file as written, its last line's end included
        widget=_code_editor("dockerfile", 20),
        help_text=_("Write or paste your Dockerfile. The lab's starter files are used for every file you do not send."),
    )
    dockerignore = forms.CharField(
        label=_(".dockerignore"),
        required=False,
        max_length=64_000,
        strip=False,  # a file as written, its last line's end included
        widget=_code_editor("dockerignore", 6),
        help_text=_("One pattern a line: what the build context leaves out of the image. Leave it empty to send none."),
    )
    # The digest of the text the page put in each editor: an editor sent back unchanged does
    # not replace an uploaded file of the same name.
    dockerfile_served = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    dockerignore_served = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    # The form's metaclass moves fields off the class: the instance's `files` stays the uploads.
    files = MultipleFileField(  # type: ignore[assignment]
        label=_("Extra files (optional)"),
        required=False,
        help_text=_("For example a changed requirements.txt; they replace the starter file of the same name."),
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

    def editor_fields(self) -> list[forms.BoundField]:
        return [self[field] for field in EDITOR_FILES]

    def editor_files(self, *, starter: Mapping[str, bytes]) -> dict[str, EditorFile]:
        """The editors' texts (of a valid form), each marked edited or not: unchanged from what the
        page served (its digest came back), or equal to the lab's starter file of that name."""
        out = {}
        for field, name in EDITOR_FILES.items():
            text = self.cleaned_data.get(field) or ""
            starter_text = starter.get(name, b"").decode("utf-8", "replace")
            unchanged = self.cleaned_data.get(f"{field}_served") == editor_digest(text) or (
                name in starter and editor_text(text) == editor_text(starter_text)
            )
            out[name] = EditorFile(text=text, edited=not unchanged)
        return out

    @classmethod
    def initial_for(cls, texts: Mapping[str, str]) -> dict[str, str]:
        """The form's initial data for the editors' texts, by file name, with their digests."""
        initial = {}
        for field, name in EDITOR_FILES.items():
            text = texts.get(name, "")
            initial[field] = text
            initial[f"{field}_served"] = editor_digest(text)
        return initial


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
