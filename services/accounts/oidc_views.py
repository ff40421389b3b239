"""The pages of staff sign-in through the government's identity provider (accounts.oidc):
the start, which sends the browser to the provider, and the callback it comes back to. Both
are "not found" while the provider is not configured."""

from django.conf import settings
from django.contrib import auth, messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.generic import View
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from services.accounts import oidc, second_factor


class SignInStart(OIDCAuthenticationRequestView):
    """A plain link (GET) leads here, and the answer sends the browser on to the provider: no
    form is sent across origins, which the Content-Security-Policy's form-action would block."""

    def __init__(self, **kwargs) -> None:
        View.__init__(self, **kwargs)  # the provider's endpoints are read per request, by discovery

    def get(self, request):
        if not oidc.identity_provider_enabled():
            raise Http404
        try:
            self.OIDC_OP_AUTH_ENDPOINT = oidc.provider_configuration().authorization_endpoint
        except oidc.ProviderUnavailable as exc:
            messages.error(request, exc.message)
            return redirect("accounts:login")
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        return super().get(request)


class SignInCallback(OIDCAuthenticationCallbackView):
    """The provider sends the browser back here with a code; the backend exchanges it and
    finds the account. A person the portal refuses gets a page saying why (403), and no
    session; any other failure goes back to the sign-in page with a message."""

    def get(self, request):
        if not oidc.identity_provider_enabled():
            raise Http404
        try:
            return super().get(request)
        except oidc.SignInRefused as refusal:
            auth.logout(request)  # nobody stays signed in on a shared computer after a refusal
            return render(request, "accounts/oidc_refused.html", {"refusal": refusal}, status=refusal.status)
        except oidc.ProviderUnavailable as exc:
            messages.error(request, exc.message)
            return redirect("accounts:login")

    def login_failure(self):
        messages.error(
            self.request,
            _("Signing in with the government account did not work. Try again, or sign in with your password."),
        )
        return redirect("accounts:login")

    def login_success(self):
        response = super().login_success()
        outcome = getattr(self.request, "identity_provider_sign_in", None)
        if outcome is not None:
            self.request.session[oidc.PROVIDER_SESSION_HINT] = outcome.id_token
            if outcome.second_factor:
                second_factor.second_factor_by_provider(self.request, user=self.user)
        return response
