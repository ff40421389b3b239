from django.contrib.auth import login
from django.contrib.auth.views import LoginView
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from rest_framework.throttling import ScopedRateThrottle

from services.accounts import actions
from services.accounts.forms import RegisterForm, SignInForm
from services.core.errors import PortalError


class SignInView(LoginView):
    template_name = "accounts/signin.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True
    throttle_scope = "auth"  # shared with the token API: one budget per address

    def post(self, request, *args, **kwargs):
        throttle = ScopedRateThrottle()
        # The stub asks for an APIView; ScopedRateThrottle only reads the view's throttle_scope.
        if not throttle.allow_request(request, self):  # type: ignore[arg-type]
            form = self.get_form()
            form.add_error(
                None,
                _("Too many sign-in attempts from here. Wait %(seconds)d seconds and try again.")
                % {"seconds": int(throttle.wait() or 60)},
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)


def register(request):
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = actions.citizen_register(
                full_name=form.cleaned_data["full_name"],
                password=form.cleaned_data["password"],
                mobile=form.cleaned_data["mobile"],
                email=form.cleaned_data["email"],
            )
        except PortalError as exc:
            form.add_error(None, exc.message)
        else:
            login(request, user, backend="services.accounts.backends.MobileOrEmailBackend")
            return redirect("applications:mine")
    return render(request, "accounts/register.html", {"form": form})
