"""The one-stop government service portal: project package (settings, urls, Celery app)."""

from portal.celery import app as celery_app

__all__ = ("celery_app",)
