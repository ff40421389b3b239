"""Django's Redis cache, with one client object per connection pool.

Django's own backend builds a new `redis.Redis` client for every cache call, and building
one fills a table of a few hundred response callbacks: about a sixth of a millisecond, as
much as the round trip to Redis itself, on every page that reads its session or is answered
from the cache. A client is safe to share between threads (its pool hands out the
connections), so each pool keeps one."""

from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class _SharedClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[bool, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        # One for writing (the primary) and one for reading (with replicas, one of them, the
        # same for the life of the process: the processes spread the reads).
        client = self._clients.get(write)
        if client is None:
            client = self._clients[write] = super().get_client(key, write=write)
        return client


class PortalRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = _SharedClient
