"""The forms of the class pages: what teachers type, checked with messages that say what to
fix. Dates and times are typed in the site's time zone (datetime-local inputs)."""

from typing import cast

from django import forms
from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _

from .models import Class, Offering, Role
from .roster import MAX_BYTES, MAX_ROWS
from .selectors import ContentChoice


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class DateTimeLocalInput(forms.DateTimeInput):
    """The browser's date-and-time picker; its value (2026-03-01T23:59) is read by Django's
    DateTimeField as ISO 8601, in the current (the site's) time zone."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


def _datetime_field(label, help_text=""):
    return forms.DateTimeField(label=label, required=False, widget=DateTimeLocalInput, help_text=help_text)


class ClassForm(forms.ModelForm):
    name = forms.CharField(label=_("Class name"), max_length=200, help_text=_("For example: Turma A – Noite."))
    term = forms.CharField(label=_("Term"), max_length=80, required=False, help_text=_("For example: 2026.2."))
    starts_on = forms.DateField(label=_("Starts on"), required=False, widget=DateInput)
    ends_on = forms.DateField(label=_("Ends on"), required=False, widget=DateInput)

    class Meta:
        model = Class
        fields: tuple[str, ...] = ("name", "term", "starts_on", "ends_on")

    def clean(self):
        data = super().clean() or {}
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("The class cannot end before it starts."))
        return data


class ClassSettingsForm(ClassForm):
    join_open = forms.BooleanField(
        label=_("Learners may join with the code or the link"),
        required=False,
        help_text=_("Close it once everyone is in: the code then enrols nobody."),
    )

    class Meta(ClassForm.Meta):
        fields = ("name", "term", "starts_on", "ends_on", "join_open", "lab_score_rule")


class OfferingAddForm(forms.Form):
    content = forms.ChoiceField(label=_("Quiz or lab"))

    def __init__(self, *args, choices: list[ContentChoice], **kwargs):
        super().__init__(*args, **kwargs)
        self.content_choices = {c.value: c for c in choices}
        cast(forms.ChoiceField, self.fields["content"]).choices = [(c.value, c.label) for c in choices]

    def clean_content(self) -> ContentChoice:
        return self.content_choices[self.cleaned_data["content"]]


class OfferingForm(forms.ModelForm):
    """The settings one class gives a quiz or a lab. Shared checks of the dates; the quiz's and
    the lab's forms below pick their fields."""

    opens_at = _datetime_field(_("Opens at"), _("Empty: open from now on."))
    closes_at = _datetime_field(_("Closes at"))
    is_visible = forms.BooleanField(
        label=_("Visible to learners"), required=False, help_text=_("Hidden: learners neither see it nor open it.")
    )

    class Meta:
        model = Offering
        fields: tuple[str, ...] = ()

    def clean(self):
        data = super().clean() or {}
        opens, due, closes = data.get("opens_at"), data.get("due_at"), data.get("closes_at")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", _("The close must come after the opening."))
        if due and opens and due <= opens:
            self.add_error("due_at", _("The due date must come after the opening."))
        if due and closes and closes < due:
            self.add_error(
                "closes_at",
                _("Late work cannot stop being accepted before the due date: move it to the due date or later."),
            )
        return data


class QuizOfferingForm(OfferingForm):
    closes_at = _datetime_field(_("Closes at"), _("Open attempts are submitted when the quiz closes."))
    attempts_allowed = forms.IntegerField(
        label=_("Attempts allowed"), min_value=0, max_value=100, help_text=_("0 means unlimited.")
    )
    grading_method = forms.ChoiceField(label=_("Grade"), choices=Offering.GradingMethod.choices)
    time_limit_minutes = forms.IntegerField(
        label=_("Time limit (minutes)"),
        min_value=1,
        max_value=1440,
        required=False,
        help_text=_("Empty: no time limit."),
    )
    one_per_page = forms.BooleanField(label=_("One question per page"), required=False)
    shuffle_questions = forms.BooleanField(label=_("Shuffle the questions"), required=False)
    shuffle_choices = forms.BooleanField(label=_("Shuffle the choices"), required=False)
    reveal_answers = forms.ChoiceField(label=_("Show the answer key"), choices=Offering.Reveal.choices)
    marks_during = forms.BooleanField(label=_("Marks of other attempts during an attempt"), required=False)
    marks_immediately = forms.BooleanField(label=_("Marks right after an attempt"), required=False)
    marks_open = forms.BooleanField(label=_("Marks later, while the quiz is open"), required=False)
    marks_closed = forms.BooleanField(label=_("Marks after the quiz closes"), required=False)

    class Meta(OfferingForm.Meta):
        fields = (
            "opens_at",
            "closes_at",
            "attempts_allowed",
            "grading_method",
            "time_limit_minutes",
            "one_per_page",
            "shuffle_questions",
            "shuffle_choices",
            "reveal_answers",
            "marks_during",
            "marks_immediately",
            "marks_open",
            "marks_closed",
            "is_visible",
        )


class LabOfferingForm(OfferingForm):
    opens_at = _datetime_field(_("Opens at"), _("Empty: submissions are taken from now on."))
    due_at = _datetime_field(_("Due at"), _("Work sent after it is late. Empty: no due date."))
    closes_at = _datetime_field(
        _("Accept late work until"), _("After it, nothing is taken. Empty: late work is taken at any time.")
    )
    late_policy = forms.ChoiceField(label=_("Late work"), choices=Offering.LatePolicy.choices)
    late_penalty_percent = forms.FloatField(
        label=_("Late penalty (% of the score per day)"),
        help_text=_("From 0 to 100. Each day or part of a day after the due date takes this much."),
    )

    class Meta(OfferingForm.Meta):
        fields = ("opens_at", "due_at", "closes_at", "late_policy", "late_penalty_percent", "is_visible")

    def clean_late_penalty_percent(self):
        value = self.cleaned_data["late_penalty_percent"]
        if value is None or not 0 <= value <= 100:
            raise forms.ValidationError(_("The penalty is a percentage from 0 to 100."))
        return value


def offering_form_class(offering: Offering) -> type[OfferingForm]:
    return QuizOfferingForm if offering.is_quiz else LabOfferingForm


ROLE_CHOICES = [(Role.LEARNER, _("Learner")), (Role.ASSISTANT, _("Teaching assistant")), (Role.TEACHER, _("Teacher"))]


class MemberAddForm(forms.Form):
    login = forms.CharField(
        label=_("User name or e-mail"), max_length=254, help_text=_("Of an account that already exists.")
    )
    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES, initial=Role.LEARNER)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES)


class RosterForm(forms.Form):
    file = forms.FileField(
        label=_("Roster file (CSV)"), widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _("Up to %(mb)s MB and %(rows)s people.") % {
            "mb": MAX_BYTES // (1024 * 1024),
            "rows": MAX_ROWS,
        }

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB. Split it into smaller files.")
                % {"mb": MAX_BYTES // (1024 * 1024)}
            )
        return upload


class OfferingChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return (_("Quiz: %(title)s") if obj.is_quiz else _("Lab: %(title)s")) % {"title": obj.title}


class LearnerChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        name = obj.get_full_name()
        return f"{name} ({obj.username})" if name else obj.username


class ExtensionForm(forms.Form):
    offering = OfferingChoiceField(label=_("Quiz or lab"), queryset=Offering.objects.none(), empty_label=None)
    learners = LearnerChoiceField(
        label=_("Learners"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    everyone = forms.BooleanField(label=_("Every learner of the class"), required=False)
    due_at = _datetime_field(_("New due date"), _("Labs: their work is late only after it."))
    closes_at = _datetime_field(
        _("New close date"), _("When their quiz closes, or until when their late lab work is taken.")
    )
    extra_attempts = forms.IntegerField(
        label=_("Extra attempts"), min_value=0, max_value=100, initial=0, required=False
    )
    time_multiplier = forms.FloatField(
        label=_("Time limit multiplier"),
        min_value=1,
        max_value=10,
        required=False,
        help_text=_("From 1 to 10: 1.5 gives half as much time again."),
    )
    extra_minutes = forms.IntegerField(label=_("Extra minutes"), min_value=0, max_value=1440, initial=0, required=False)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        required=False,
        help_text=_("Seen by the class's teachers only, in the class log."),
    )

    def __init__(self, *args, offerings, learners, **kwargs):
        super().__init__(*args, **kwargs)
        cast(OfferingChoiceField, self.fields["offering"]).queryset = offerings
        cast(LearnerChoiceField, self.fields["learners"]).queryset = learners

    def clean(self):
        data = super().clean() or {}
        offering = data.get("offering")
        if not data.get("everyone") and not data.get("learners") and "learners" not in self.errors:
            self.add_error("learners", _("Choose at least one learner, or every learner of the class."))
        data["extra_attempts"] = data.get("extra_attempts") or 0
        data["extra_minutes"] = data.get("extra_minutes") or 0
        due, closes = data.get("due_at"), data.get("closes_at")
        if not (due or closes or data["extra_attempts"] or data.get("time_multiplier") or data["extra_minutes"]):
            raise forms.ValidationError(_("Give a new date, extra attempts or extra time."))
        if due and closes and closes < due:
            self.add_error("closes_at", _("The close date cannot come before the due date."))
        if offering is None:
            return data
        if offering.opens_at:
            for name in ("due_at", "closes_at"):
                if data.get(name) and data[name] <= offering.opens_at:
                    self.add_error(name, _("This date is before the quiz or lab opens."))
        if offering.is_quiz and due:
            self.add_error("due_at", _("A quiz has no due date: give a new close date instead."))
        if not offering.is_quiz:
            if data["extra_attempts"]:
                self.add_error("extra_attempts", _("Labs take any number of submissions: no attempts to add."))
            if data.get("time_multiplier") or data["extra_minutes"]:
                self.add_error("time_multiplier", _("Labs have no time limit: give a new date instead."))
        else:
            if (data.get("time_multiplier") or data["extra_minutes"]) and not offering.time_limit_minutes:
                self.add_error("time_multiplier", _("This quiz has no time limit, so extra time changes nothing."))
            if data["extra_attempts"] and not offering.attempts_allowed:
                self.add_error("extra_attempts", _("This quiz allows unlimited attempts already."))
        return data
