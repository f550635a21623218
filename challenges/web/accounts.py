"""Account pages that Django's auth views do not provide."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import UserCreationForm
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods
from rest_framework.authtoken.models import Token

from fivesigma.challenges.web import redirects


@require_http_methods(["GET", "POST"])
def signup(request):
    form = UserCreationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
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
