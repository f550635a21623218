"""Top-level URL map: the challenges app (pages, REST API, accounts) and the admin site."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("fivesigma.challenges.urls")),
    path("admin/", admin.site.urls),
]
