from django.http import HttpResponseBadRequest


class AdminEmptyToFieldGuard:
    """Django's admin answers 500 to `?_to_field=` on a change or delete page: an empty value
    skips its allow-list check and the object is then looked up by a field named ''. Such a
    request can only be forged, so it is refused before the admin sees it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is None or match.app_name != "admin":
            return None
        values = request.GET.getlist("_to_field")
        if request.method == "POST":
            values += request.POST.getlist("_to_field")
        if "" in values:
            return HttpResponseBadRequest("_to_field may not be empty.\n", content_type="text/plain")
        return None
