"""REST API routes (token or session authentication) and the OpenAPI schema."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from fivesigma.challenges.api import views

PHASE = "challenges/<slug:slug>/phases/<slug:key>/"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("token/", views.ObtainToken.as_view(), name="api-token"),
    path("me/", views.Me.as_view(), name="api-me"),
    path("challenges/", views.ChallengeList.as_view(), name="api-challenges"),
    path("challenges/<slug:slug>/", views.ChallengeDetail.as_view(), name="api-challenge"),
    path("challenges/<slug:slug>/phases/", views.PhaseList.as_view(), name="api-phases"),
    path(PHASE, views.PhaseDetail.as_view(), name="api-phase"),
    path(PHASE + "leaderboard/", views.LeaderboardView.as_view(), name="api-leaderboard"),
    path(
        PHASE + "leaderboard/chart/",
        views.LeaderboardChart.as_view(),
        name="api-leaderboard-chart",
    ),
    path(PHASE + "submissions/", views.PhaseSubmissions.as_view(), name="api-phase-submissions"),
    path("submissions/<uuid:uid>/", views.SubmissionDetail.as_view(), name="api-submission"),
    path("challenges/<slug:slug>/files/", views.FileList.as_view(), name="api-files"),
    path(
        "challenges/<slug:slug>/files/<int:file_id>/download/",
        views.FileDownload.as_view(),
        name="api-file-download",
    ),
]
