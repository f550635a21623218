"""REST API views: thin layers over the challenge engine; every permission asks ``visibility``."""

from __future__ import annotations

from dataclasses import asdict

from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers as drf
from rest_framework import status
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import NotAuthenticated, NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from fivesigma.challenges import transfers
from fivesigma.challenges.api import charts
from fivesigma.challenges.api import serializers as s
from fivesigma.challenges.api.throttles import LoginThrottle, UploadThrottle
from fivesigma.challenges.engine import finals, intake, leaderboard, teams, visibility
from fivesigma.challenges.models import Membership, Score, Submission

SUBSET = OpenApiParameter(
    "subset",
    str,
    enum=["public", "private"],
    description="private: after the phase ends, or for its organisers",
)


def current_scores(with_diagnostics: bool = False) -> Prefetch:
    scores = Score.objects.filter(current=True).defer("replicas")
    if not with_diagnostics:
        scores = scores.defer("diagnostics")
    return Prefetch("scores", queryset=scores)


class ApiRoot(APIView):
    """Where to start: the API's entry points and its documentation, as absolute links.

    The paths under a challenge take its slug (and a phase's key), listed as templates."""

    def get_view_name(self) -> str:
        return "fivesigma API"

    @extend_schema(
        responses=inline_serializer(
            "ApiRoot",
            {
                "docs": drf.URLField(),
                "schema": drf.URLField(),
                "challenges": drf.URLField(),
                "me": drf.URLField(),
                "token": drf.URLField(),
                "templates": drf.DictField(child=drf.CharField()),
            },
        )
    )
    def get(self, request):
        def link(name: str) -> str:
            return reverse(name, request=request)

        challenge = link("api-challenges") + "{slug}/"
        phase = challenge + "phases/{key}/"
        return Response(
            {
                "docs": link("api-docs"),
                "schema": link("api-schema"),
                "challenges": link("api-challenges"),
                "me": link("api-me"),
                "token": link("api-token"),
                "templates": {
                    "challenge": challenge,
                    "phases": challenge + "phases/",
                    "phase": phase,
                    "leaderboard": phase + "leaderboard/?subset=public",
                    "leaderboard_chart": phase + "leaderboard/chart/?subset=public",
                    "submissions": phase + "submissions/",
                    "submission": link("api-root") + "submissions/{uid}/",
                    "final_choice": link("api-root") + "submissions/{uid}/final/",
                    "team": challenge + "team/",
                    "files": challenge + "files/",
                    "file_download": challenge + "files/{id}/download/",
                },
            }
        )


class ChallengeList(APIView):
    """Challenges the caller can see, with their phases."""

    @extend_schema(responses=s.ChallengeSerializer(many=True))
    def get(self, request):
        challenges = visibility.visible_challenges(request.user)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(challenges, request, view=self)
        data = s.ChallengeSerializer(page, many=True, context={"request": request}).data
        return paginator.get_paginated_response(data)


class ChallengeDetail(APIView):
    @extend_schema(responses=s.ChallengeDetailSerializer)
    def get(self, request, slug: str):
        challenge = visibility.challenge(request.user, slug)
        return Response(s.ChallengeDetailSerializer(challenge, context={"request": request}).data)


class PhaseList(APIView):
    @extend_schema(responses=s.PhaseSerializer(many=True))
    def get(self, request, slug: str):
        challenge = visibility.challenge(request.user, slug)
        phases = challenge.phases.select_related("challenge")
        return Response(s.PhaseSerializer(phases, many=True, context={"request": request}).data)


class PhaseDetail(APIView):
    """A phase, with the caller's team allowance of submissions when logged in."""

    @extend_schema(responses=s.PhaseDetailSerializer)
    def get(self, request, slug: str, key: str):
        challenge = visibility.challenge(request.user, slug)
        phase = visibility.phase(challenge, key)
        context = {"request": request}
        if request.user.is_authenticated:
            context["allowance"] = intake.allowance(phase, teams.team_of(request.user, challenge))
        return Response(s.PhaseDetailSerializer(phase, context=context).data)


class LeaderboardView(APIView):
    """Ranked rows of a phase, 100 a page; ties marked on the rows of the page."""

    @extend_schema(
        parameters=[SUBSET],
        responses=inline_serializer(
            "LeaderboardPage",
            {
                "phase": drf.CharField(),
                "subset": drf.CharField(),
                "metric": drf.CharField(help_text='"" when the organisers\' program scores'),
                "metric_title": drf.CharField(),
                "higher_is_better": drf.BooleanField(),
                "columns": s.ColumnSerializer(
                    many=True, help_text="a program-scored phase's declared columns; []"
                ),
                "count": drf.IntegerField(),
                "next": drf.URLField(allow_null=True),
                "previous": drf.URLField(allow_null=True),
                "results": s.LeaderboardRowSerializer(many=True),
            },
        ),
    )
    def get(self, request, slug: str, key: str):
        phase = visibility.phase(visibility.challenge(request.user, slug), key)
        subset = visibility.subset(request.user, phase, request.query_params.get("subset"))
        board = leaderboard.board(phase, subset)
        paginator = PageNumberPagination()
        paginator.paginate_queryset(board.rows, request, view=self)
        assert paginator.page is not None  # a list always gives a page (or raises NotFound)
        number, size = paginator.page.number, paginator.page.paginator.per_page
        results = board.derived(
            ("api", number, size),
            lambda: s.LeaderboardRowSerializer(board.page(number, size), many=True).data,
        )
        response = paginator.get_paginated_response(results)
        response.data = {
            "phase": phase.key,
            "subset": subset,
            "metric": phase.metric,
            "metric_title": phase.get_metric().title,
            "higher_is_better": board.higher_is_better,
            "columns": declared_columns(phase, board),
            **response.data,
        }
        return response


def declared_columns(phase, board: leaderboard.Leaderboard) -> list[dict]:
    """The board's declared columns as the API gives them, each with the rank it has in the
    ordering (1 ranks, 2 breaks ties, ...; None: only shown)."""
    if not board.columns:
        return []
    ranks = {column.key: place for place, column in enumerate(phase.get_metric().ranked, 1)}
    return [{**asdict(column), "rank": ranks.get(column.key)} for column in board.columns]


class LeaderboardChart(APIView):
    """What the leaderboard page plots: the record line, baseline levels, accuracy vs speed."""

    @extend_schema(parameters=[SUBSET], responses=OpenApiTypes.OBJECT)
    def get(self, request, slug: str, key: str):
        phase = visibility.phase(visibility.challenge(request.user, slug), key)
        subset = visibility.subset(request.user, phase, request.query_params.get("subset"))
        return Response(charts.chart_data(leaderboard.board(phase, subset)))


class PhaseSubmissions(APIView):
    """GET: the caller's team's submissions to the phase (all of them for organisers).
    POST (multipart ``file``, optional ``description``): submit, within the daily allowance."""

    permission_classes = [IsAuthenticated]
    throttle_classes = [UploadThrottle]
    throttle_scope = "upload"

    def dispatch(self, request, *args, **kwargs):
        # the size cap goes in before anything parses the body, as on the submit page
        request.upload_handlers.insert(0, transfers.UploadCap(request))
        return super().dispatch(request, *args, **kwargs)

    @extend_schema(responses=s.SubmissionSerializer(many=True))
    def get(self, request, slug: str, key: str):
        phase = visibility.phase(visibility.challenge(request.user, slug), key)
        submissions = (
            visibility.visible_submissions(request.user, phase)
            .select_related("phase__challenge", "team", "user")
            .prefetch_related(current_scores())
            .order_by("-created")
        )
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(submissions, request, view=self)
        return paginator.get_paginated_response(
            s.SubmissionSerializer(page, many=True, context={"request": request}).data
        )

    @extend_schema(request=s.SubmissionUploadSerializer, responses={201: s.SubmissionSerializer})
    def post(self, request, slug: str, key: str):
        phase = visibility.phase(visibility.challenge(request.user, slug), key)
        upload = request.FILES.get("file")
        if getattr(request._request, "upload_too_large", False):
            return Response({"detail": intake.too_large()}, status=status.HTTP_400_BAD_REQUEST)
        if upload is None:
            raise ValidationError(
                {"file": "Send the submission as the multipart form field 'file'."}
            )
        submission = intake.submit(
            phase, request.user, upload, str(request.data.get("description", ""))
        )
        submission = (
            Submission.objects.select_related("phase__challenge", "team", "user")
            .prefetch_related(current_scores())
            .get(pk=submission.pk)
        )
        data = s.SubmissionSerializer(submission, context={"request": request}).data
        return Response(data, status=status.HTTP_201_CREATED, headers={"Location": data["url"]})


class SubmissionDetail(APIView):
    """A submission with its status history, log tail, visible scores and their diagnostics."""

    @extend_schema(responses=s.SubmissionDetailSerializer)
    def get(self, request, uid):
        submission = visibility.submission(
            request.user,
            Submission.objects.select_related("phase__challenge", "team", "user")
            .prefetch_related(current_scores(with_diagnostics=True), "events")
            .filter(uid=uid)
            .first(),
        )
        return Response(s.SubmissionDetailSerializer(submission, context={"request": request}).data)


class FinalChoice(APIView):
    """POST ``{"selected": true}`` to count a scored submission among its team's final
    submissions for the private leaderboard, ``{"selected": false}`` to stop counting it
    (400 with the rule when it is not allowed: the phase has ended, the team has chosen its
    ``final_selections`` already, the submission is not scored)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=s.FinalChoiceSerializer, responses=s.SubmissionSerializer)
    def post(self, request, uid):
        submission = visibility.submission(
            request.user,
            Submission.objects.select_related("phase__challenge", "team").filter(uid=uid).first(),
        )
        choice = s.FinalChoiceSerializer(data=request.data)
        choice.is_valid(raise_exception=True)
        finals.choose(submission, choice.validated_data["selected"], request.user)
        fresh = (
            Submission.objects.select_related("phase__challenge", "team", "user")
            .prefetch_related(current_scores())
            .get(pk=submission.pk)
        )
        return Response(s.SubmissionSerializer(fresh, context={"request": request}).data)


class TeamView(APIView):
    """GET: your team in the challenge (404 when you have none). POST ``action``: ``create``
    with ``name``, ``join`` with ``code`` (the invitation code a member shares), or ``leave``
    (only while the team has no submissions); 400 with the reason when a rule forbids it."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=s.TeamSerializer)
    def get(self, request, slug: str):
        challenge = visibility.challenge(request.user, slug)
        team = teams.team_of(request.user, challenge)
        if team is None:
            raise NotFound(f"You are not in a team in '{challenge.slug}' yet.")
        return Response(s.TeamSerializer(team).data)

    @extend_schema(request=s.TeamActionSerializer, responses=s.TeamSerializer)
    def post(self, request, slug: str):
        challenge = visibility.challenge(request.user, slug)
        asked = s.TeamActionSerializer(data=request.data)
        asked.is_valid(raise_exception=True)
        action = asked.validated_data["action"]
        if action == "create":
            team = teams.create_team(request.user, challenge, asked.validated_data.get("name", ""))
        elif action == "join":
            team = teams.join(request.user, asked.validated_data.get("code", ""), challenge)
        else:
            teams.leave(request.user, challenge)
            return Response({"detail": f"You left your team in '{challenge.slug}'."})
        return Response(s.TeamSerializer(team).data)


class FileList(APIView):
    """The challenge's downloadable files with their sizes (bytes) and SHA-256 checksums."""

    @extend_schema(responses=s.DataFileSerializer(many=True))
    def get(self, request, slug: str):
        challenge = visibility.challenge(request.user, slug)
        data_files = visibility.downloadable_files(request.user, challenge)
        return Response(
            s.DataFileSerializer(data_files, many=True, context={"request": request}).data
        )


class FileDownload(APIView):
    """The bytes of a file, streamed."""

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request, slug: str, file_id: int):
        challenge = visibility.challenge(request.user, slug)
        data_file = visibility.data_file(request.user, challenge, file_id)
        response = transfers.download_response(
            data_file.file,
            data_file.name.replace("/", "_"),
            request=request,
            sha256=data_file.sha256,
        )
        response["X-Checksum-SHA256"] = data_file.sha256
        return response


class Me(APIView):
    """Who the token belongs to, and their team in each challenge."""

    @extend_schema(responses=s.MeSerializer)
    def get(self, request):
        if not request.user.is_authenticated:
            raise NotAuthenticated("Log in or send 'Authorization: Token <key>'.")
        memberships = Membership.objects.filter(user=request.user).select_related(
            "challenge", "team"
        )
        return Response(
            {
                "username": request.user.username,
                "teams": {m.challenge.slug: m.team.name for m in memberships},
            }
        )


class ObtainToken(ObtainAuthToken):
    """POST username and password; get the API token (created on first use)."""

    throttle_classes = [LoginThrottle]
