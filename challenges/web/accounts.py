"""Account pages that Django's auth views do not provide."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods
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


@require_http_methods(["GET", "POST"])
def signup(request):
    form = UserCreationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user)
        messages.success(request, f"Welcome, {user.username}.")
        return redirect(redirects.next_or(request, reverse("home")))
    return render(request, "registration/signup.html", {"form": form})


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
