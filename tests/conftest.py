import pytest

from portal.celery import app as celery_app


@pytest.fixture(autouse=True)
def eager_celery(request):
    """Tasks run in-process unless a test is about the real worker (marked integration)."""
    if request.node.get_closest_marker("integration"):
        celery_app.conf.task_always_eager = False
        yield
        return
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def chinese(settings):
    settings.LANGUAGE_CODE = "zh-hans"


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()
