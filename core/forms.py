import logging

from django import forms
from django.contrib.auth.forms import PasswordResetForm, UserCreationForm
from django.contrib.auth.models import User
from django.core.mail import EmailMultiAlternatives
from django.template import loader
from django.utils.translation import gettext_lazy as _

log = logging.getLogger(__name__)


class SignupForm(UserCreationForm):
    first_name = forms.CharField(label=_("Name"), max_length=150)
    email = forms.EmailField(label=_("E-mail"), required=False)

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "first_name", "email")


class MailedPasswordResetForm(PasswordResetForm):
    """Django's reset form logs a failed send and carries on as if the mail had left; this one
    sends through the connection the view opened and remembers a failure, so the learner is
    told the truth."""

    def __init__(self, *args, connection=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.connection = connection
        self.send_failed = False

    def send_mail(
        self, subject_template_name, email_template_name, context, from_email, to_email, html_email_template_name=None
    ):
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        message = EmailMultiAlternatives(subject, body, from_email, [to_email], connection=self.connection)
        if html_email_template_name is not None:
            message.attach_alternative(loader.render_to_string(html_email_template_name, context), "text/html")
        try:
            message.send()
        except Exception:  # smtplib and socket errors alike; logged with the traceback
            log.exception("password reset e-mail to user %s could not be sent", context["user"].pk)
            self.send_failed = True
