"""Sign up, log in and out, password reset, profile with API token."""

from django.urls import include, path

from fivesigma.challenges.accounts import views

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("profile/", views.profile, name="profile"),
    path("", include("django.contrib.auth.urls")),
]
