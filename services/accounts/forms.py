from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from services.accounts.signin import sign_in_guard
from services.core.errors import TooManyRequests
from services.core.validators import normalize_mobile, validate_mobile


class GuardedSignIn(AuthenticationForm):
    """A sign-in form that asks the guard (accounts.signin) before the password is checked."""

    def clean(self):
        username = self.cleaned_data.get("username")
        if username and self.request is not None:
            try:
                sign_in_guard(self.request, username)
            except TooManyRequests as exc:
                raise forms.ValidationError(exc.message, code=exc.code) from None
        return super().clean()


class AdminSignInForm(GuardedSignIn, AdminAuthenticationForm):
    """The admin's login, guarded like every other way in."""


class SignInForm(GuardedSignIn):
    username = forms.CharField(
        label=_("Mobile number, email or staff username"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    error_messages = {
        "invalid_login": _("The account or password is not right. Check them and try again."),
        "inactive": _("This account is disabled."),
    }


class MobileField(forms.CharField):
    """A mainland mobile number, written as people write it (spaces, +86, full-width digits)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Mobile number"))
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "tel"}))
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        validate_mobile(value)
        return normalize_mobile(value)


class NewPasswordMixin(forms.Form):
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password_again = forms.CharField(
        label=_("Password again"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self):
        data = super().clean()
        if data is None:
            # Django keeps cleaned_data when clean() returns None; forms.Form returns it.
            data = self.cleaned_data
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", _("The two passwords are not the same."))
        elif data.get("password"):
            try:
                password_validation.validate_password(data["password"])
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return data


class RegisterForm(NewPasswordMixin):
    full_name = forms.CharField(label=_("Full name"), max_length=100)
    mobile = MobileField(help_text=_("We send a code to it, to make sure it is yours."))
    email = forms.EmailField(label=_("Email (optional)"), required=False)
    field_order = ["full_name", "mobile", "email", "password", "password_again"]


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the text message"),
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class MobileForm(forms.Form):
    mobile = MobileField()


class PasswordResetForm(CodeForm, NewPasswordMixin):
    field_order = ["code", "password", "password_again"]
