"""Top-level URL map: pages from the challenges app, the REST API, accounts and admin."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("fivesigma.challenges.urls")),
    path("api/", include("fivesigma.challenges.api.urls")),
    path("accounts/", include("fivesigma.challenges.accounts.urls")),
    path("admin/", admin.site.urls),
]
