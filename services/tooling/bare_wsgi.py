"""The yardstick of `manage.py bench_http`: a bare Django application with one view that
answers two bytes, no middleware, no database. Served by the same server with the same
number of workers as the portal, it measures what Django and the server cost by themselves
on this machine, so the portal's figures can be read as a share of it."""

import django
from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.http import HttpRequest, HttpResponse
from django.urls import path

settings.configure(
    DEBUG=False,
    SECRET_KEY="bare-django-yardstick",  # noqa: S106 - signs nothing: no sessions, no forms
    ROOT_URLCONF=__name__,
    ALLOWED_HOSTS=["*"],
    MIDDLEWARE=[],
)


def ok(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("", ok)]
django.setup()
application = get_wsgi_application()
