import logging

from celery.exceptions import TimeoutError as CeleryTimeout
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.mail import get_connection
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

from classes.selectors import class_work, user_memberships

from .decorators import instructor_required
from .forms import MailedPasswordResetForm, SignupForm
from .mail import mail_configured
from .net import client_address
from .roles import is_instructor
from .selectors import services_status
from .services import user_signup, worker_ping
from .throttle import throttle_allow

log = logging.getLogger(__name__)


@require_GET
def healthz(request):
    """Liveness for load balancers and health checks: the process answers, nothing more
    (no database, no session), so it stays cheap under load."""
    return HttpResponse("ok\n", content_type="text/plain")


@require_GET
def home(request):
    """Each of the user's current classes with its work (archived ones are on the classes
    page); a way to join one for someone in none."""
    memberships = [m for m in user_memberships(user=request.user) if not m.klass.is_archived]
    works = []
    for membership in memberships:
        work = class_work(klass=membership.klass, user=request.user)
        work.role_label = membership.get_role_display()
        works.append(work)
    return render(request, "core/home.html", {"works": works, "may_create": is_instructor(request.user)})


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and not throttle_allow(
        scope="signup", key=client_address(request), limit=settings.SIGNUPS_PER_HOUR, window=3600
    ):
        error = _(
            "Too many sign-ups from this address in the last hour. Try again later, "
            "or ask your instructor to create your account."
        )
        return render(request, "registration/signup.html", {"form": form, "error": error}, status=429)
    if request.method == "POST" and form.is_valid():
        user = user_signup(
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password1"],
            first_name=form.cleaned_data["first_name"],
            email=form.cleaned_data.get("email", ""),
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome! Your account is ready."))
        return redirect(_safe_next(request) or "home")
    return render(request, "registration/signup.html", {"form": form, "next": _safe_next(request)})


def _safe_next(request) -> str:
    """Where a sign-up goes on to (a class's join link, most often): a path of this site only."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


FAVICON = "img/favicon.svg"


@require_GET
@cache_control(max_age=86400, public=True)
def favicon(request):
    """Browsers ask /favicon.ico on pages that link none (the admin's, error pages): the
    same icon _base.html links, served here rather than answered with a 404."""
    found = finders.find(FAVICON)
    path = found if isinstance(found, str) else staticfiles_storage.path(FAVICON)
    with open(path, "rb") as icon:
        return HttpResponse(icon.read(), content_type="image/svg+xml")


@instructor_required
@require_GET
def operations(request):
    return render(request, "core/operations.html", {"status": services_status(fresh="fresh" in request.GET)})


@instructor_required
@require_POST
def operations_ping(request):
    try:
        answer, error = worker_ping(timeout=10), ""
    except CeleryTimeout:
        answer, error = None, _("No worker answered within 10 seconds.")
    except (OperationalError, RedisError, RuntimeError) as exc:  # broker or result store down
        answer, error = None, _("The queue (Redis) is unreachable: %(error)s") % {"error": str(exc).strip()[:200]}
    context = {"answer": answer, "error": error}
    if request.htmx:
        return render(request, "core/operations.html#ping-result", context)
    return render(request, "core/operations.html", {**context, "status": services_status()})


def login_locked_out(request, original_response=None, credentials=None):
    """django-axes' lockout answer: the login page's look, a translated reason, HTTP 429."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "registration/locked_out.html", {"minutes": minutes}, status=429)


def _mail_configured() -> bool:
    return mail_configured()


@require_http_methods(["GET", "POST"])
def password_reset(request):
    """Django's reset, throttled, and honest about mail: without a mail server, or with one
    that does not answer, the learner reads so (and whom to ask) instead of a promise or a 500.

    The mail server is reached before the address is looked up, so its state tells nothing
    about which addresses have an account."""
    context = {"mail_configured": _mail_configured(), "form": MailedPasswordResetForm()}
    if request.method == "GET":
        return render(request, "registration/password_reset_form.html", context)
    if not context["mail_configured"]:
        return render(request, "registration/password_reset_form.html", context, status=503)
    form = context["form"] = MailedPasswordResetForm(request.POST)
    email = request.POST.get("email", "")[:254].strip().lower()
    limit = settings.PASSWORD_RESETS_PER_HOUR
    if not throttle_allow(scope="reset-address", key=client_address(request), limit=limit, window=3600) or (
        form.is_valid() and not throttle_allow(scope="reset-email", key=email, limit=limit, window=3600)
    ):
        context["error"] = _(
            "Too many password reset requests in the last hour. Try again later, "
            "or ask your instructor to set a new password for you."
        )
        return render(request, "registration/password_reset_form.html", context, status=429)
    if not form.is_valid():
        return render(request, "registration/password_reset_form.html", context, status=400)
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except Exception:  # smtplib and socket errors alike
        log.exception("password reset: the mail server %s:%s did not answer", settings.EMAIL_HOST, settings.EMAIL_PORT)
        form.send_failed = True
    else:
        try:
            form.connection = connection
            form.save(request=request, use_https=request.is_secure())
        finally:
            connection.close()
    if form.send_failed:
        context["error"] = _(
            "The e-mail could not be sent right now. Try again in a few minutes, "
            "or ask your instructor to set a new password for you."
        )
        return render(request, "registration/password_reset_form.html", context, status=503)
    return redirect("password_reset_done")
