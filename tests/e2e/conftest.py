import pytest


@pytest.fixture(autouse=True)
def plain_static_storage(settings):
    """The live server finds static files through the finders, which know the source names,
    not the manifest's hashed ones: serve them unhashed so htmx and the CSS load."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
