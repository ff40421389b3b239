"""Steps the tests of several contexts share."""

from django.db import connection
from django.test.utils import CaptureQueriesContext


def count_queries(client, url: str, **extra) -> int:
    """The number of database queries one GET of `url` makes; the answer must be 200."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **extra)
    assert response.status_code == 200, response.content
    return len(queries)
