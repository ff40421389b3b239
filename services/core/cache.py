"""Public pages answered from the cache: the catalogue, the service guides, the public
statistics and their API, which are the same for every visitor who is not signed in and
change a few times a year.

A page is kept per address, language, elder mode and htmx target, marked with the
*generation* of public content it was made in. Whatever changes what such a page shows (an
administrator editing a service, a workflow, a department or a registry's purpose; the
statistics being rebuilt) starts a new generation once its transaction commits, and a page
of an older generation is made anew: nothing stale is ever served. The generation and the
page are read in one round trip to the cache. A generation is a random token, so a cache
that lost it starts a new one rather than bringing old pages back.

What differs per visitor is not kept: a page is cached only for visitors who are not signed
in and have no message waiting, and the CSRF token of its forms is put back for each visitor
(a kept page holds a placeholder where the token was)."""

import hashlib
import re
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token

from services.core.views import ELDER_COOKIE

GENERATION_KEY = "public-pages:generation"
PAGE_SECONDS = 600
# Where a visitor's CSRF token goes back into a kept page (no HTML can contain it).
CSRF_HOLE = "\x00csrf-token\x00"
_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def public_generation() -> str:
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, secrets.token_hex(8), None)
        generation = cache.get(GENERATION_KEY)
    return str(generation)


def public_pages_changed() -> None:
    """What the public pages show has changed: once the change commits, they are made anew."""
    transaction.on_commit(lambda: cache.set(GENERATION_KEY, secrets.token_hex(8), None))


def _for_everyone(request: HttpRequest) -> bool:
    """A request whose page is the same for everyone who might make it: read-only, from a
    visitor who is not signed in and has no message waiting."""
    if request.method not in ("GET", "HEAD") or "messages" in request.COOKIES:
        return False
    user = getattr(request, "user", None)
    return user is None or not user.is_authenticated


def _key(request: HttpRequest, kind: str) -> str:
    htmx = getattr(request, "htmx", None)
    parts = [
        kind,
        getattr(request, "LANGUAGE_CODE", ""),
        "elder" if request.COOKIES.get(ELDER_COOKIE) == "1" else "",
        str(htmx.target or "htmx") if htmx else "",
        request.get_full_path(),
    ]
    return "public-pages:" + hashlib.sha256("\n".join(parts).encode()).hexdigest()[:40]


def _kept(key: str) -> tuple[str, Any]:
    """(the current generation, what is kept under `key` for it, or None): one round trip."""
    found = cache.get_many([GENERATION_KEY, key])
    generation = found.get(GENERATION_KEY)
    if generation is None:
        return public_generation(), None
    kept = found.get(key)
    if kept is None or kept[0] != generation:
        return generation, None
    return generation, kept[1]


def public_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Answer the view from the cache for visitors who are not signed in (see above)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not _for_everyone(request):
            return view(request, *args, **kwargs)
        key = _key(request, "page")
        generation, kept = _kept(key)
        if kept is not None:
            content_type, body = kept
            if CSRF_HOLE in body:
                body = body.replace(CSRF_HOLE, get_token(request))
            return HttpResponse(body, content_type=content_type)
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and not response.streaming and not response.cookies:
            body = response.content.decode(response.charset)
            found = _TOKEN.search(body)
            if found:
                body = body.replace(found.group(1), CSRF_HOLE)
            cache.set(key, (generation, (response["Content-Type"], body)), PAGE_SECONDS)
        return response

    return wrapper


def public_data(request: HttpRequest, make: Callable[[], Any]) -> Any:
    """The data of a public API answer (the same for everyone in one language), kept like a
    public page: `make()` runs only when the current generation has none."""
    if request.method not in ("GET", "HEAD"):
        return make()
    key = _key(request, "data")
    generation, kept = _kept(key)
    if kept is None:
        kept = make()
        cache.set(key, (generation, kept), PAGE_SECONDS)
    return kept


def _public_content_changed(sender: type, **kwargs: Any) -> None:
    public_pages_changed()


def public_pages_follow(*models: type) -> None:
    """Start a new generation of public pages whenever a row of these models is saved or
    deleted (each context names its models that the public pages show, in its AppConfig)."""
    from django.db.models.signals import post_delete, post_save

    for model in models:
        post_save.connect(_public_content_changed, sender=model, dispatch_uid=f"public-pages-{model.__name__}")
        post_delete.connect(_public_content_changed, sender=model, dispatch_uid=f"public-pages-{model.__name__}")
