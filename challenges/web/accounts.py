"""Account pages that Django's auth views do not provide: sign-up with a verified e-mail
address, and the profile. Password reset is Django's own views with the site's templates."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.mail import send_mail
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlencode, urlsafe_base64_decode, urlsafe_base64_encode
from django.views.decorators.http import require_GET, require_http_methods
from rest_framework.authtoken.models import Token

from fivesigma.challenges.password_attempts import PasswordAttempts
from fivesigma.challenges.web import redirects


class LoginForm(AuthenticationForm):
    """Django's login form, saying so when the account or the address has used up its failed
    attempts (the authentication backend refuses them whatever the form says)."""

    def clean(self):
        username = self.cleaned_data.get("username")
        if username and PasswordAttempts(self.request, username).refused():
            raise ValidationError(PasswordAttempts.message(), code="too_many_attempts")
        return super().clean()


class LoginView(auth_views.LoginView):
    """Django's login page (``next`` followed to this site's paths only); a refused attempt
    answers 429 Too Many Requests."""

    authentication_form = LoginForm

    def form_invalid(self, form):
        refused = form.has_error(NON_FIELD_ERRORS, "too_many_attempts")
        return self.render_to_response(
            self.get_context_data(form=form), status=429 if refused else 200
        )


class SignupForm(UserCreationForm):
    """A username, an e-mail address no other account uses, and a password twice."""

    email = forms.EmailField(
        label="E-mail address",
        help_text="We send a link to it: follow the link to activate your account.",
    )

    class Meta(UserCreationForm.Meta):
        fields = ("username", "email")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                "An account with this e-mail address exists already; "
                "if it is yours, reset its password from the log-in page."
            )
        return email


class EmailVerification(PasswordResetTokenGenerator):
    """Tokens of the links that verify a new account's e-mail address: good until the
    account is active (so each link works once) and for PASSWORD_RESET_TIMEOUT."""

    key_salt = "fivesigma.accounts.EmailVerification"

    def _make_hash_value(self, user, timestamp) -> str:
        return f"{user.pk}{user.email}{user.is_active}{timestamp}"


email_verification = EmailVerification()


@require_http_methods(["GET", "POST"])
def signup(request):
    """Create an inactive account and send the link that activates it."""
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save(commit=False)
        user.is_active = False
        user.save()
        send_verification(request, user, redirects.next_or(request, ""))
        return render(request, "registration/verification_sent.html", {"email": user.email})
    return render(request, "registration/signup.html", {"form": form})


def send_verification(request, user, next_url: str = "") -> None:
    """E-mail ``user`` the link that verifies their address (printed to the console by the
    development e-mail backend); ``next_url``: where the link leads once followed."""
    link = request.build_absolute_uri(
        reverse(
            "verify-email",
            args=[urlsafe_base64_encode(force_bytes(user.pk)), email_verification.make_token(user)],
        )
    )
    if next_url:
        link += "?" + urlencode({"next": next_url})
    context = {"user": user, "link": link, "site": request.get_host()}
    send_mail(
        subject=f"Activate your fivesigma account, {user.username}",
        message=render_to_string("registration/verification_email.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )


@require_GET
def verify_email(request, uidb64: str, token: str):
    """Activate the account of a valid link and log its owner in; a used, expired or
    altered link says so."""
    try:
        user = get_user_model().objects.get(pk=int(urlsafe_base64_decode(uidb64)))
    except (ValueError, OverflowError, get_user_model().DoesNotExist):
        user = None
    if user is None or not email_verification.check_token(user, token):
        return render(request, "registration/verification_failed.html", status=400)
    user.is_active = True
    user.save(update_fields=["is_active"])
    login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
    messages.success(request, f"Your e-mail address is verified. Welcome, {user.username}.")
    return redirect(redirects.next_or(request, reverse("home")))


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    if request.method == "POST" and request.POST.get("action") == "new-token":
        Token.objects.filter(user=request.user).delete()
        Token.objects.create(user=request.user)
        messages.success(request, "A new API token was created; the old one no longer works.")
        return redirect("profile")
    if request.method == "POST" and request.POST.get("action") == "revoke-token":
        Token.objects.filter(user=request.user).delete()
        messages.success(request, "Your API token was revoked.")
        return redirect("profile")
    token = Token.objects.filter(user=request.user).first()
    teams = request.user.memberships.select_related("team", "challenge")
    return render(request, "registration/profile.html", {"token": token, "memberships": teams})
