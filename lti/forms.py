"""The platform (LMS) registration form of the platforms page."""

from django import forms
from django.utils.translation import gettext_lazy as _
from lti_tool.models import LtiRegistration

from .registration import deployment_ids_parse, url_problem

URL_FIELDS = ("issuer", "auth_url", "token_url", "keyset_url")


def _url_field(label, help_text=""):
    # A text field: url_problem() in clean() says what is wrong with an address.
    return forms.CharField(
        label=label,
        help_text=help_text,
        max_length=200,
        widget=forms.URLInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )


class PlatformForm(forms.ModelForm):
    issuer = _url_field(_("Issuer (platform ID)"), _('Moodle: "Platform ID"; Canvas: https://canvas.instructure.com.'))
    auth_url = _url_field(_("Authentication request URL (auth login URL)"))
    token_url = _url_field(_("Access token URL"))
    keyset_url = _url_field(_("Public keyset URL"))
    # The address of the platform's login (its uuid) is shown before it is saved: the LMS asks
    # for it before it gives the client id and deployment id the form needs.
    uuid = forms.UUIDField(widget=forms.HiddenInput, required=False)
    deployment_ids = forms.CharField(
        label=_("Deployment ids"),
        required=False,  # clean() says what is missing
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text=_(
            'One a line, as the LMS shows them (Moodle: the tool\'s "Deployment ID"). Launches from a '
            "deployment not listed are refused."
        ),
    )

    class Meta:
        model = LtiRegistration
        fields = ("name", "issuer", "client_id", "auth_url", "token_url", "keyset_url", "audience", "is_active")
        labels = {
            "name": _("Name"),
            "client_id": _("Client id"),
            "audience": _("Audience (optional)"),
            "is_active": _("Active"),
        }
        help_texts = {
            "name": _('How this LMS is called in Estaleiro, e.g. "Moodle da escola".'),
            "client_id": _("Given by the LMS when the tool was added."),
            "audience": _("Only if the LMS asks for an access token audience other than the access token URL."),
            "is_active": _("Switched off, the LMS's launches are refused; nothing is deleted."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.error_messages["required"] = _("This field is required.")
        if self.instance.pk:
            del self.fields["uuid"]
        if self.instance.pk and "deployment_ids" not in self.initial:
            self.initial["deployment_ids"] = "\n".join(
                self.instance.deployments.filter(is_active=True).order_by("pk").values_list("deployment_id", flat=True)
            )

    def clean(self):
        cleaned = super().clean() or {}
        for name in URL_FIELDS:
            value = (cleaned.get(name) or "").strip()
            if value:
                cleaned[name] = value
                problem = url_problem(value)
                if problem:
                    self.add_error(name, problem)
        issuer, client_id = cleaned.get("issuer"), (cleaned.get("client_id") or "").strip()
        if client_id:
            cleaned["client_id"] = client_id
        if issuer and client_id:
            taken = LtiRegistration.objects.filter(issuer=issuer, client_id=client_id).exclude(pk=self.instance.pk)
            if taken.exists():
                self.add_error(
                    "client_id",
                    _("Another registered platform has this issuer and client id: edit that one instead."),
                )
        planned = cleaned.get("uuid")
        if planned and not self.instance.pk:
            if LtiRegistration.objects.filter(uuid=planned).exists():
                self.add_error(None, _("This form was already saved once. Open the platforms page again."))
            else:
                self.instance.uuid = planned
        ids = deployment_ids_parse(cleaned.get("deployment_ids") or "")
        if not ids and "deployment_ids" not in self.errors:
            self.add_error("deployment_ids", _("Give at least one deployment id."))
        elif any(len(value) > 255 for value in ids):
            self.add_error("deployment_ids", _("A deployment id has at most 255 characters."))
        cleaned["deployment_ids"] = ids
        return cleaned

    def validate_unique(self):
        # The issuer and client id pair is checked in clean(), with a message that says what to do.
        pass
