"""Request bodies bounded before they cost memory.

Two gates, both before any view reads request.POST or request.FILES (the CSRF check is the
first to do so):
- RequestSizeLimit, a middleware: a body declared larger than REQUEST_MAX_BYTES is refused
  with 413 without reading a byte of it, and a chunked body (no declared length, which
  Django would not parse anyway) with 411.
- BoundedUploadHandler, the first upload handler: while the multipart body streams in, it
  stops at the file past SUBMISSION_MAX_FILES or the byte past SUBMISSION_MAX_BYTES, and
  leaves a message on the request for the view (the rest of the body, bounded by the
  first gate, is read in pieces and thrown away so the browser receives the answer).

A view that takes uploads can give the refusal its own page (give_refusal_page): a callable
(request, message, **url_kwargs) -> response, kept on the view function as `too_large`."""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .query import int_param

BODY_METHODS = {"POST", "PUT", "PATCH"}
REFUSAL_PAGE = "too_large"  # the view function's attribute that refused_response looks for


def give_refusal_page(view: Callable[..., Any], page: Callable[..., HttpResponse]) -> None:
    """Answer a refused upload to `view` with `page` instead of the plain refusal page."""
    setattr(view, REFUSAL_PAGE, page)


def _megabytes(size: int) -> str:
    value = round(size / (1024 * 1024), 1)
    return number_format(value, decimal_pos=0 if value == int(value) else 1)


def too_large_message() -> str:
    return _(
        "What you sent is larger than %(max)s MB in all (files and form together), so it was not "
        "received. Send fewer or smaller files: the lab's starter files are used for every file you "
        "leave out."
    ) % {"max": _megabytes(settings.SUBMISSION_MAX_BYTES)}


def refused_response(request, message: str, status: int):
    try:
        match = resolve(request.path_info)
    except Resolver404:
        match = None
    handler = getattr(match.func, REFUSAL_PAGE, None) if match else None
    if match is not None and handler is not None:
        return handler(request, message, status=status, **match.kwargs)
    return render(request, "core/refused.html", {"message": message}, status=status)


class RequestSizeLimit:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in BODY_METHODS:
            if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
                return refused_response(
                    request,
                    _("Send the form again from the page: this server needs to know the size of what is sent."),
                    status=411,
                )
            length = int_param(request.META.get("CONTENT_LENGTH") or "0", default=0, minimum=0)
            if length > settings.REQUEST_MAX_BYTES:
                return refused_response(request, too_large_message(), status=413)
        return self.get_response(request)


class BoundedUploadHandler(FileUploadHandler):
    """Counts files and bytes as they arrive and stops the upload past either limit; the data
    itself goes on to Django's memory or temporary-file handler."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.input_data = input_data
        self.files = 0
        self.total = 0
        return None  # the parse goes on as usual

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.files += 1
        # +1: the build context may come as one .zip beside the loose files.
        if self.files > settings.SUBMISSION_MAX_FILES + 1:
            self._refuse(
                ngettext(
                    "Send at most %(max)d file at a time.",
                    "Send at most %(max)d files at a time.",
                    settings.SUBMISSION_MAX_FILES,
                )
                % {"max": settings.SUBMISSION_MAX_FILES}
            )

    def receive_data_chunk(self, raw_data, start):
        self.total += len(raw_data)
        if self.total > settings.SUBMISSION_MAX_BYTES:
            self._refuse(too_large_message())
        return raw_data

    def file_complete(self, file_size):
        return None

    def _refuse(self, message: str):
        if self.request is not None:
            self.request.upload_refused = message  # type: ignore[attr-defined]  # read by the view with getattr
        # The rest of the body (at most REQUEST_MAX_BYTES: the middleware saw to that) is read
        # and dropped here in fixed-size pieces, so the browser gets the answer rather than a
        # reset connection. Django's own StopUpload(connection_reset=False) would read it line
        # by line, and a body with no line break would then be held whole in memory.
        while self.input_data.read(64 * 1024):
            pass
        raise StopUpload(connection_reset=True)
