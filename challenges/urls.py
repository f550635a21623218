"""Every route of the site in one place: pages, the REST API (under /api/) and accounts."""

from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from fivesigma.challenges.api import endpoints
from fivesigma.challenges.web import (
    accounts,
    boards,
    detailed_results,
    organiser_pages,
    pages,
    submission_pages,
    team_page,
)

PAGE_ROUTES = [
    path("", pages.home, name="home"),
    path("c/<slug:slug>/", pages.challenge_page, name="challenge"),
    path("c/<slug:slug>/p/<slug:page>/", pages.challenge_page, name="challenge-page"),
    path("c/<slug:slug>/files/<int:file_id>/", pages.download_file, name="download-file"),
    path("c/<slug:slug>/files/SHA256SUMS", pages.checksums, name="data-checksums"),
    path("c/<slug:slug>/leaderboard/<slug:key>/", boards.leaderboard_page, name="leaderboard"),
    path(
        "c/<slug:slug>/leaderboard/<slug:key>.csv",
        boards.leaderboard_csv,
        name="leaderboard-csv",
    ),
    path("c/<slug:slug>/submit/<slug:key>/", submission_pages.submit, name="submit"),
    path("c/<slug:slug>/submissions/", submission_pages.my_submissions, name="my-submissions"),
    path("c/<slug:slug>/team/", team_page.team_page, name="team"),
    path("s/<uuid:uid>/", submission_pages.submission_page, name="submission"),
    path("s/<uuid:uid>/status/", submission_pages.submission_status, name="submission-status"),
    path("s/<uuid:uid>/file/", submission_pages.submission_file, name="submission-file"),
    path("s/<uuid:uid>/final/", submission_pages.toggle_final, name="submission-final"),
    # a submission's detailed results, for the sandboxed frame of its page: no session used
    path("detailed/<str:token>/<path:name>", detailed_results.serve, name="detailed-file"),
    path("organise/", organiser_pages.dashboard, name="organiser-dashboard"),
    path("organise/bundle/", organiser_pages.upload_bundle, name="upload-bundle"),
    path("organise/<slug:slug>/rescore/<slug:key>/", organiser_pages.rescore, name="rescore"),
]

PHASE = "challenges/<slug:slug>/phases/<slug:key>/"

API_ROUTES = [
    path("", endpoints.ApiRoot.as_view(), name="api-root"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # the split view serves Swagger UI's start-up script as a file: no inline script (CSP)
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("token/", endpoints.ObtainToken.as_view(), name="api-token"),
    path("me/", endpoints.Me.as_view(), name="api-me"),
    path("challenges/", endpoints.ChallengeList.as_view(), name="api-challenges"),
    path("challenges/<slug:slug>/", endpoints.ChallengeDetail.as_view(), name="api-challenge"),
    path("challenges/<slug:slug>/phases/", endpoints.PhaseList.as_view(), name="api-phases"),
    path(PHASE, endpoints.PhaseDetail.as_view(), name="api-phase"),
    path(PHASE + "leaderboard/", endpoints.LeaderboardView.as_view(), name="api-leaderboard"),
    path(
        PHASE + "leaderboard/chart/",
        endpoints.LeaderboardChart.as_view(),
        name="api-leaderboard-chart",
    ),
    path(
        PHASE + "submissions/", endpoints.PhaseSubmissions.as_view(), name="api-phase-submissions"
    ),
    path("submissions/<uuid:uid>/", endpoints.SubmissionDetail.as_view(), name="api-submission"),
    path("submissions/<uuid:uid>/final/", endpoints.FinalChoice.as_view(), name="api-final"),
    path("challenges/<slug:slug>/team/", endpoints.TeamView.as_view(), name="api-team"),
    path("challenges/<slug:slug>/files/", endpoints.FileList.as_view(), name="api-files"),
    path(
        "challenges/<slug:slug>/files/<int:file_id>/download/",
        endpoints.FileDownload.as_view(),
        name="api-file-download",
    ),
]

ACCOUNT_ROUTES: list[URLPattern | URLResolver] = [
    path("login/", accounts.LoginView.as_view(), name="login"),
    path("signup/", accounts.signup, name="signup"),
    path("verify/<uidb64>/<token>/", accounts.verify_email, name="verify-email"),
    path("profile/", accounts.profile, name="profile"),
    path("", include("django.contrib.auth.urls")),
]

urlpatterns = [
    *PAGE_ROUTES,
    path("api/", include(API_ROUTES)),
    path("accounts/", include(ACCOUNT_ROUTES)),
]
