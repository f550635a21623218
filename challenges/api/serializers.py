"""How the API shows challenges, phases, files, leaderboards and submissions."""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from fivesigma.challenges.engine import visibility
from fivesigma.challenges.models import (
    Challenge,
    DataFile,
    Phase,
    Score,
    Submission,
    SubmissionEvent,
)


def absolute(request, name: str, *args) -> str:
    path = reverse(name, args=args)
    return request.build_absolute_uri(path) if request is not None else path


class PhaseSerializer(serializers.ModelSerializer):
    metric_title = serializers.SerializerMethodField()
    higher_is_better = serializers.SerializerMethodField()
    is_open = serializers.SerializerMethodField()
    has_ended = serializers.SerializerMethodField()
    leaderboard_url = serializers.SerializerMethodField()
    submissions_url = serializers.SerializerMethodField()

    class Meta:
        model = Phase
        fields = [
            "key",
            "title",
            "description",
            "kind",
            "metric",
            "metric_title",
            "higher_is_better",
            "start",
            "end",
            "is_open",
            "has_ended",
            "daily_limit",
            "total_limit",
            "final_selections",
            "time_limit_s",
            "memory_limit_mb",
            "leaderboard_url",
            "submissions_url",
        ]

    def get_metric_title(self, phase: Phase) -> str:
        return phase.get_metric().title

    def get_higher_is_better(self, phase: Phase) -> bool:
        return phase.get_metric().higher_is_better

    def get_is_open(self, phase: Phase) -> bool:
        return phase.is_open()

    def get_has_ended(self, phase: Phase) -> bool:
        return phase.has_ended()

    def get_leaderboard_url(self, phase: Phase) -> str:
        return absolute(
            self.context.get("request"), "api-leaderboard", phase.challenge.slug, phase.key
        )

    def get_submissions_url(self, phase: Phase) -> str:
        return absolute(
            self.context.get("request"), "api-phase-submissions", phase.challenge.slug, phase.key
        )


class AllowanceSerializer(serializers.Serializer):
    """A team's submissions used and left in a phase (the UTC day resets at ``resets_at``)."""

    remaining_today = serializers.IntegerField()
    used_today = serializers.IntegerField()
    daily_limit = serializers.IntegerField()
    used_total = serializers.IntegerField()
    total_limit = serializers.IntegerField(allow_null=True)
    resets_at = serializers.DateTimeField()


class PhaseDetailSerializer(PhaseSerializer):
    allowance = serializers.SerializerMethodField()

    class Meta(PhaseSerializer.Meta):
        fields = [*PhaseSerializer.Meta.fields, "allowance"]

    def get_allowance(self, phase: Phase) -> dict | None:
        allowance = self.context.get("allowance")
        return AllowanceSerializer(allowance).data if allowance is not None else None


class ChallengeSerializer(serializers.ModelSerializer):
    start = serializers.DateTimeField(read_only=True)
    end = serializers.DateTimeField(read_only=True)
    phases = PhaseSerializer(many=True, read_only=True)
    url = serializers.SerializerMethodField()
    page_url = serializers.SerializerMethodField()
    files_url = serializers.SerializerMethodField()

    class Meta:
        model = Challenge
        fields = [
            "slug",
            "title",
            "summary",
            "start",
            "end",
            "max_team_size",
            "phases",
            "url",
            "page_url",
            "files_url",
        ]

    def get_url(self, challenge: Challenge) -> str:
        return absolute(self.context.get("request"), "api-challenge", challenge.slug)

    def get_page_url(self, challenge: Challenge) -> str:
        return absolute(self.context.get("request"), "challenge", challenge.slug)

    def get_files_url(self, challenge: Challenge) -> str:
        return absolute(self.context.get("request"), "api-files", challenge.slug)


class ChallengeDetailSerializer(ChallengeSerializer):
    pages = serializers.JSONField(read_only=True, help_text="page key -> Markdown text")

    class Meta(ChallengeSerializer.Meta):
        fields = [*ChallengeSerializer.Meta.fields, "pages"]


class DataFileSerializer(serializers.ModelSerializer):
    size = serializers.IntegerField(help_text="bytes")
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = DataFile
        fields = ["id", "name", "role", "description", "size", "sha256", "download_url"]

    def get_download_url(self, data_file: DataFile) -> str:
        return absolute(
            self.context.get("request"), "api-file-download", data_file.challenge.slug, data_file.pk
        )


class LeaderboardRowSerializer(serializers.Serializer):
    """One row of ``challenges.leaderboard``: a team's best (public) or final (private) score."""

    rank = serializers.IntegerField(allow_null=True, help_text="none for benchmark rows")
    team = serializers.CharField()
    is_benchmark = serializers.BooleanField()
    score = serializers.FloatField(source="value", allow_null=True)
    ci_low = serializers.FloatField(allow_null=True)
    ci_high = serializers.FloatField(allow_null=True)
    tied_with_above = serializers.BooleanField(
        help_text="not significantly different from the row above (paired bootstrap)"
    )
    details = serializers.DictField(help_text="e.g. accuracy and seconds_per_event")
    columns = serializers.DictField(
        child=serializers.FloatField(allow_null=True),
        help_text="a program-scored phase's declared columns: column key -> figure (null when "
        "undefined); {} for a phase scored by a built-in metric",
    )
    entries = serializers.IntegerField()
    submitted = serializers.DateTimeField(allow_null=True)
    last_submission = serializers.DateTimeField(allow_null=True)
    public_rank = serializers.IntegerField(allow_null=True)
    rank_change = serializers.IntegerField(allow_null=True, help_text="public rank - private rank")


class ColumnSerializer(serializers.Serializer):
    """A leaderboard column a program-scored phase declares (``scoring.declared.Column``)."""

    key = serializers.CharField(help_text="the figure's name in the scoring program's scores")
    title = serializers.CharField()
    sorting = serializers.ChoiceField(["desc", "asc"], help_text="desc: higher is better")
    precision = serializers.IntegerField(help_text="digits shown after the point")
    rank = serializers.IntegerField(
        allow_null=True, help_text="1: ranks the board; 2, 3, ...: breaks ties in that order"
    )


class ScoreSerializer(serializers.ModelSerializer):
    class Meta:
        model = Score
        fields = ["subset", "metric", "value", "ci_low", "ci_high", "details", "created"]


class ScoreDetailSerializer(ScoreSerializer):
    class Meta(ScoreSerializer.Meta):
        fields = [*ScoreSerializer.Meta.fields, "diagnostics"]


class EventSerializer(serializers.ModelSerializer):
    class Meta:
        model = SubmissionEvent
        fields = ["status", "message", "at"]


class SubmissionSerializer(serializers.ModelSerializer):
    """A submission as its team sees it; private scores only once ``can_see_private``."""

    challenge = serializers.CharField(source="phase.challenge.slug")
    phase = serializers.CharField(source="phase.key")
    team = serializers.CharField(source="team.name")
    user = serializers.CharField(source="user.username", allow_null=True, default=None)
    done = serializers.BooleanField(source="is_done")
    scores = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()
    page_url = serializers.SerializerMethodField()
    score_serializer = ScoreSerializer

    class Meta:
        model = Submission
        fields = [
            "uid",
            "url",
            "page_url",
            "challenge",
            "phase",
            "team",
            "user",
            "original_name",
            "size",
            "sha256",
            "description",
            "status",
            "done",
            "reason",
            "is_late",
            "selected_final",
            "created",
            "queued_at",
            "started_at",
            "finished_at",
            "scores",
        ]

    def get_scores(self, submission: Submission) -> list[dict]:
        user = self.context["request"].user
        shown = visibility.shown_scores(user, submission, submission.scores.all())
        return list(self.score_serializer(shown, many=True).data)

    def get_url(self, submission: Submission) -> str:
        return absolute(self.context.get("request"), "api-submission", submission.uid)

    def get_page_url(self, submission: Submission) -> str:
        return absolute(self.context.get("request"), "submission", submission.uid)


class SubmissionDetailSerializer(SubmissionSerializer):
    events = EventSerializer(many=True, read_only=True)
    score_serializer = ScoreDetailSerializer

    run_report = serializers.SerializerMethodField()

    class Meta(SubmissionSerializer.Meta):
        fields = [*SubmissionSerializer.Meta.fields, "events", "log_tail", "run_report"]

    def get_run_report(self, submission: Submission) -> dict:
        """The runner's report; the organisers' programs' logs for the organisers only."""
        return shown_run_report(self.context["request"].user, submission)


def shown_run_report(user, submission: Submission) -> dict:
    """``submission.run_report`` as ``user`` may read it: the logs of the organisers' programs
    (``run_report["program"][step]["log"]``) are left out unless ``user`` organises the
    challenge (or is staff)."""
    report = dict(submission.run_report or {})
    program = report.get("program")
    if not isinstance(program, dict) or visibility.is_organiser(user, submission.phase.challenge):
        return report
    report["program"] = {
        step: {k: v for k, v in run.items() if k != "log"} if isinstance(run, dict) else run
        for step, run in program.items()
    }
    return report


class SubmissionUploadSerializer(serializers.Serializer):
    """The multipart form of a new submission."""

    file = serializers.FileField(help_text="result file (.csv, .csv.gz, .zip) or code .zip")
    description = serializers.CharField(required=False, allow_blank=True, max_length=500)


class FinalChoiceSerializer(serializers.Serializer):
    """Select or unselect a submission as one of its team's final submissions."""

    selected = serializers.BooleanField(
        help_text="true: count it for the private leaderboard; false: no longer"
    )


class MemberSerializer(serializers.Serializer):
    username = serializers.CharField(source="user.username")
    joined = serializers.DateTimeField()


class TeamSerializer(serializers.Serializer):
    """The caller's team in a challenge; the invitation code is for its members only."""

    name = serializers.CharField()
    invite_code = serializers.CharField(help_text="give it to people you want in the team")
    members = MemberSerializer(source="memberships.all", many=True)
    max_team_size = serializers.IntegerField(source="challenge.max_team_size")


class TeamActionSerializer(serializers.Serializer):
    """``create`` (with ``name``), ``join`` (with ``code``) or ``leave``."""

    action = serializers.ChoiceField(choices=["create", "join", "leave"])
    name = serializers.CharField(required=False, allow_blank=True, max_length=100)
    code = serializers.CharField(required=False, allow_blank=True, max_length=64)


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    teams = serializers.DictField(child=serializers.CharField(), help_text="challenge slug -> team")
