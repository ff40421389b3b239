from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.views import LoginView
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from services.accounts import actions, selectors, signin
from services.accounts.forms import RegisterForm, SignInForm
from services.core.errors import PortalError
from services.core.views import staff_required


class SignInView(LoginView):
    """Sign in with a mobile number, email or staff username. A try the guard refused (too
    many wrong passwords) is answered 429 with Retry-After, or 403 for a locked account
    (accounts.middleware.SignInRefusalStatus)."""

    template_name = "accounts/signin.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True


@staff_required
def staff_locks(request):
    """A department administrator lifts the sign-in lock of their own staff (after too many
    wrong passwords); anyone else's account is not theirs to unlock."""
    staff = {user.username: user for user in selectors.staff_administered_by(user=request.user)}
    if not staff:
        raise PermissionDenied
    if request.method == "POST":
        username = request.POST.get("username", "")
        if username not in staff:
            raise Http404(_("This account is not one of your department's staff."))
        signin.account_unlock(username=username, by=request.user)
        messages.success(request, _("%(who)s can sign in again.") % {"who": staff[username]})
        return redirect("accounts:staff-locks")
    locks = [(staff[attempt.username], attempt) for attempt in signin.locked_accounts(usernames=staff)]
    return render(request, "accounts/staff_locks.html", {"locks": locks})


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
