"""Challenges, their phases and their data files, as declared by a bundle."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone


class Challenge(models.Model):
    # The pages a bundle may define, in the order of the challenge's tabs: (key, tab title).
    PAGES = (
        ("overview", "Overview"),
        ("data", "Data"),
        ("evaluation", "Evaluation"),
        ("rules", "Rules"),
    )

    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=500, blank=True)
    pages = models.JSONField(default=dict, help_text="page key -> Markdown text, from the bundle")
    max_team_size = models.PositiveIntegerField(default=4)
    organisers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="organised_challenges", blank=True
    )
    is_public = models.BooleanField(default=True)
    bundle_sha256 = models.CharField(max_length=64, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("challenge", args=[self.slug])

    def is_organiser(self, user) -> bool:
        if not user.is_authenticated:
            return False
        return user.is_staff or self.organisers.filter(pk=user.pk).exists()

    @property
    def start(self):
        return min((p.start for p in self.phases.all()), default=None)

    @property
    def end(self):
        return max((p.end for p in self.phases.all()), default=None)


class Phase(models.Model):
    RESULT = "result"
    CODE = "code"
    KINDS = [(RESULT, "result file"), (CODE, "code")]

    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="phases")
    key = models.SlugField()
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    order = models.PositiveIntegerField(default=0)
    start = models.DateTimeField()
    end = models.DateTimeField()
    kind = models.CharField(max_length=10, choices=KINDS, default=RESULT)
    metric = models.CharField(
        max_length=50, blank=True, help_text='key in scoring.registry; "" when a program scores'
    )
    metric_options = models.JSONField(default=dict, blank=True)
    split = models.JSONField(
        default=dict, blank=True, help_text="how the solution splits into public/private"
    )
    daily_limit = models.PositiveIntegerField(default=5)
    total_limit = models.PositiveIntegerField(null=True, blank=True)
    final_selections = models.PositiveIntegerField(default=2)
    time_limit_s = models.FloatField(default=600.0)
    memory_limit_mb = models.PositiveIntegerField(default=4096)
    harness = models.CharField(
        max_length=50, blank=True, help_text="runner harness for code phases"
    )
    score_late = models.BooleanField(default=False)
    # An organiser's programs (docs/bundles.md, "Programs"): their commands as the bundle
    # wrote them ($input, $output, ... for the worker to substitute), the leaderboard columns
    # the scoring program writes, and the environment the programs run in.
    scoring_command = models.TextField(blank=True, default="", help_text='"" for a metric')
    ingestion_command = models.TextField(blank=True, default="")
    columns = models.JSONField(
        default=list,
        blank=True,
        help_text="[{key, title, sorting: desc|asc, precision, rank}]: rank 1 ranks, 2 breaks "
        "ties, ...; [] for a metric",
    )
    program_environment = models.CharField(
        max_length=64,
        blank=True,
        default="",
        help_text="id of the programs' environment (runner.environments); \"\" for the worker's own",
    )
    board_version = models.PositiveBigIntegerField(
        default=0, help_text="raised with every change of a team's standing (challenges.standings)"
    )

    class Meta:
        ordering = ["challenge", "order", "start"]
        constraints = [
            models.UniqueConstraint(fields=["challenge", "key"], name="unique_phase_key")
        ]

    def __str__(self) -> str:
        return f"{self.challenge.slug}/{self.key}"

    def is_open(self, now=None) -> bool:
        now = now or timezone.now()
        return self.start <= now < self.end

    def has_ended(self, now=None) -> bool:
        return (now or timezone.now()) >= self.end

    def accepts_submissions(self, now=None) -> bool:
        now = now or timezone.now()
        return self.is_open(now) or (self.has_ended(now) and self.score_late)

    @property
    def is_program_scored(self) -> bool:
        """Scored by the organisers' program in the sandbox, not by a built-in metric."""
        return bool(self.scoring_command)

    @property
    def queue(self) -> str:
        """Code and organisers' programs run in the sandbox; built-in metrics score anywhere."""
        return "sandbox" if self.kind == self.CODE or self.is_program_scored else "scoring"

    def get_metric(self):
        """The built-in metric, or for a program-scored phase the leaderboard its columns declare."""
        if self.is_program_scored:
            from fivesigma.scoring.declared import DeclaredLeaderboard

            return DeclaredLeaderboard(self.columns)
        from fivesigma.scoring import registry

        return registry.get(self.metric, **self.metric_options)

    def hidden_file(self, role: str) -> DataFile | None:
        return self.files.filter(role=role).first()


class DataFile(models.Model):
    """A file of a challenge kept in storage: public downloads, hidden solutions, code-phase
    inputs, scoring programs' reference data, and the organiser's programs."""

    PUBLIC = "public"
    SOLUTION = "solution"
    INPUT = "input"
    STARTER_KIT = "starter_kit"
    REFERENCE = "reference"
    SCORING_PROGRAM = "scoring_program"
    INGESTION_PROGRAM = "ingestion_program"
    ROLES = [
        (PUBLIC, "public download"),
        (SOLUTION, "hidden solution"),
        (INPUT, "hidden input of a code phase"),
        (STARTER_KIT, "starter kit"),
        (REFERENCE, "hidden reference data of a scoring program"),
        (SCORING_PROGRAM, "scoring program (zip)"),
        (INGESTION_PROGRAM, "ingestion program (zip)"),
    ]

    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="files")
    phase = models.ForeignKey(
        Phase, on_delete=models.CASCADE, related_name="files", null=True, blank=True
    )
    role = models.CharField(max_length=20, choices=ROLES)
    name = models.CharField(
        max_length=300,
        help_text="path relative to the role's root, e.g. test/event000001000-hits.csv",
    )
    description = models.CharField(max_length=500, blank=True)
    file = models.FileField(max_length=500)
    size = models.BigIntegerField(default=0, help_text="bytes")
    sha256 = models.CharField(max_length=64)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["role", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["challenge", "phase", "role", "name"], name="unique_datafile"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.challenge.slug}:{self.role}:{self.name}"

    @property
    def is_public(self) -> bool:
        return self.role in (self.PUBLIC, self.STARTER_KIT)
