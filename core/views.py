from celery.exceptions import TimeoutError as CeleryTimeout
from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

from labs.selectors import labs_for_home
from quizzes.selectors import quizzes_for_home

from .decorators import instructor_required
from .forms import SignupForm
from .selectors import services_status
from .services import user_signup, worker_ping


@require_GET
def healthz(request):
    """Liveness for load balancers and health checks: the process answers, nothing more
    (no database, no session), so it stays cheap under load."""
    return HttpResponse("ok\n", content_type="text/plain")


@require_GET
def home(request):
    return render(
        request,
        "core/home.html",
        {"quizzes": quizzes_for_home(user=request.user), "labs": labs_for_home(user=request.user)},
    )


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = user_signup(
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password1"],
            first_name=form.cleaned_data["first_name"],
            email=form.cleaned_data.get("email", ""),
        )
        login(request, user)
        messages.success(request, _("Welcome! Your account is ready."))
        return redirect("home")
    return render(request, "registration/signup.html", {"form": form})


@instructor_required
@require_GET
def operations(request):
    return render(request, "core/operations.html", {"status": services_status()})


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
