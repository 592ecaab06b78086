"""What an LMS's records mean in Estaleiro.

django-lti (`lti_tool`) keeps the LTI side as the platform sends it: registrations,
deployments, users (one per platform and `sub`), contexts (courses), resource links and
line items. These models tie them to Estaleiro's own: a course context is one class, a
resource link opens one offering, and every grade sent back is a `ScoreSend`."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from lti_tool.models import LtiContext, LtiRegistration, LtiResourceLink, LtiUser

from classes.models import Class, Offering


class CourseClass(models.Model):
    """An LMS course (an LTI context of one deployment) is one Estaleiro class."""

    context = models.OneToOneField(LtiContext, on_delete=models.CASCADE, related_name="estaleiro")
    klass = models.OneToOneField(Class, on_delete=models.CASCADE, related_name="lms_course", verbose_name=_("class"))
    roster_synced_at = models.DateTimeField(_("roster synced at"), null=True, blank=True)
    roster_sync_error = models.TextField(_("last roster sync error"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.context} → {self.klass}"


class LinkedOffering(models.Model):
    """An LMS resource link opens one offering of the course's class; its grades go to the
    link's line item."""

    resource_link = models.OneToOneField(LtiResourceLink, on_delete=models.CASCADE, related_name="estaleiro")
    offering = models.ForeignKey(
        Offering, on_delete=models.CASCADE, related_name="lms_links", verbose_name=_("offering")
    )
    lineitem_url = models.URLField(_("line item URL"), max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.resource_link} → {self.offering}"


class ScoreSend(models.Model):
    """One grade for one learner on one line item, and what became of sending it. A value
    is sent once: a new row appears only when the grade changes (a regrade, a late penalty,
    a released essay), and a failed send is retried with backoff until it arrives."""

    class State(models.TextChoices):
        PENDING = "pending", _("waiting to be sent")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed (will retry)")
        GAVE_UP = "gave_up", _("not sent (the LMS refused it)")
        SUPERSEDED = "superseded", _("replaced by a newer grade")

    # Not (yet) in the LMS: what "resend all failed" resends.
    FAILING = (State.FAILED, State.GAVE_UP)

    link = models.ForeignKey(LinkedOffering, on_delete=models.CASCADE, related_name="score_sends")
    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="score_sends")
    lti_user = models.ForeignKey(LtiUser, on_delete=models.CASCADE, related_name="score_sends")
    score_given = models.DecimalField(_("score"), max_digits=9, decimal_places=3)
    score_maximum = models.DecimalField(_("maximum"), max_digits=9, decimal_places=3)
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.PENDING)
    tries = models.PositiveIntegerField(_("tries"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    next_try_at = models.DateTimeField(_("next try at"), null=True, blank=True)
    # The send holding the row (lti.passback.score_send): only the holder of the token writes
    # its outcome, and nobody else takes the row until `claimed_until` (a send that died).
    claim_token = models.CharField(max_length=32, blank=True, editable=False)
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["state", "next_try_at"])]

    def __str__(self) -> str:
        return f"{self.learner} {self.score_given}/{self.score_maximum} ({self.state})"


class RegistrationLink(models.Model):
    """A one-time link an administrator pastes into an LMS's "tool URL" for LTI Dynamic
    Registration: it works once, before it expires, and records the platform it registered."""

    token = models.CharField(_("token"), max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    registration = models.ForeignKey(
        LtiRegistration, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("platform")
    )

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.token[:8]}… ({self.expires_at:%Y-%m-%d %H:%M})"
