"""Page routes of the site."""

from django.urls import path

from fivesigma.challenges.views import leaderboards, organiser, pages, submissions, teams

urlpatterns = [
    path("", pages.home, name="home"),
    path("c/<slug:slug>/", pages.challenge_page, name="challenge"),
    path("c/<slug:slug>/p/<slug:page>/", pages.challenge_page, name="challenge-page"),
    path("c/<slug:slug>/files/<int:file_id>/", pages.download_file, name="download-file"),
    path(
        "c/<slug:slug>/leaderboard/<slug:phase>/", leaderboards.leaderboard_page, name="leaderboard"
    ),
    path(
        "c/<slug:slug>/leaderboard/<slug:phase>.csv",
        leaderboards.leaderboard_csv,
        name="leaderboard-csv",
    ),
    path("c/<slug:slug>/submit/<slug:phase>/", submissions.submit, name="submit"),
    path("c/<slug:slug>/submissions/", submissions.my_submissions, name="my-submissions"),
    path("c/<slug:slug>/team/", teams.team_page, name="team"),
    path("s/<uuid:uid>/", submissions.submission_page, name="submission"),
    path("s/<uuid:uid>/status/", submissions.submission_status, name="submission-status"),
    path("s/<uuid:uid>/file/", submissions.submission_file, name="submission-file"),
    path("s/<uuid:uid>/final/", submissions.toggle_final, name="submission-final"),
    path("organise/", organiser.dashboard, name="organiser-dashboard"),
    path("organise/bundle/", organiser.upload_bundle, name="upload-bundle"),
    path("organise/<slug:slug>/rescore/<slug:phase>/", organiser.rescore, name="rescore"),
]
