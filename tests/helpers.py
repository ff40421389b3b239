"""Steps the tests of several contexts share."""

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from services.core.cache import GENERATION_KEY


def count_queries(client, url: str, **extra) -> int:
    """The number of database queries one GET of `url` makes as the page is made; the answer
    must be 200. (A public page kept in the cache would need none: a new generation of
    public pages is started first.)"""
    cache.delete(GENERATION_KEY)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **extra)
    assert response.status_code == 200, response.content
    return len(queries)
