from django.contrib.auth import login
from django.contrib.auth.views import LoginView
from django.shortcuts import redirect, render

from services.accounts import actions
from services.accounts.forms import RegisterForm, SignInForm
from services.core.errors import PortalError


class SignInView(LoginView):
    template_name = "accounts/signin.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True


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
