"""The sign-in guard's answer, on whichever page asked for a password."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from services.accounts.signin import refusal_of


class SignInRefusalStatus:
    """A sign-in form that the guard refused (accounts.signin) is shown again with its reason:
    this gives the answer the status that says so (429 with Retry-After, or 403 for a locked
    account), on the sign-in page and the admin's login alike."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        refusal = getattr(request, "sign_in_refusal", None) and refusal_of(request)
        if refusal is not None and response.status_code == 200:
            response.status_code = refusal.status
            if refusal.retry_after:
                response["Retry-After"] = str(refusal.retry_after)
        return response
