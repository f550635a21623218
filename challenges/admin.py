"""The admin site (/admin/, staff only): look at everything, change what the engine allows.

Challenges and phases come from bundles, so their definitions are read-only here except a
phase's dates and limits (an organiser extending a deadline). Submissions, scores and
standings are written by the engine alone: they are shown, never edited, so that no hand
edit can break the leaderboard's invariants (``manage.py rebuild_standings`` repairs rows
written outside the engine). Renaming a team is allowed; kept leaderboards show the new name
within a minute.
"""

from __future__ import annotations

from django.contrib import admin

from fivesigma.challenges.models import (
    Challenge,
    DataFile,
    Membership,
    Phase,
    Score,
    Standing,
    Submission,
    SubmissionEvent,
    Team,
)


class ReadOnly(admin.ModelAdmin):
    """Shown, never added, changed or deleted by hand."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class PhaseInline(admin.TabularInline):
    model = Phase
    extra = 0
    fields = ("key", "title", "kind", "metric", "start", "end", "daily_limit", "total_limit")
    readonly_fields = ("key", "title", "kind", "metric")
    can_delete = False
    show_change_link = True


@admin.register(Challenge)
class ChallengeAdmin(admin.ModelAdmin):
    list_display = ("slug", "title", "is_public", "updated")
    search_fields = ("slug", "title")
    readonly_fields = ("slug", "pages", "bundle_sha256", "created", "updated")
    filter_horizontal = ("organisers",)
    inlines = [PhaseInline]


@admin.register(Phase)
class PhaseAdmin(admin.ModelAdmin):
    list_display = ("challenge", "key", "kind", "metric", "start", "end")
    list_filter = ("kind", "challenge")
    readonly_fields = (
        "challenge",
        "key",
        "kind",
        "metric",
        "metric_options",
        "split",
        "harness",
        "board_version",
    )


@admin.register(DataFile)
class DataFileAdmin(ReadOnly):
    list_display = ("challenge", "phase", "role", "name", "size", "sha256")
    list_filter = ("role", "challenge")
    search_fields = ("name",)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    readonly_fields = ("user", "joined")
    fields = ("user", "joined")


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "challenge", "is_benchmark", "created")
    list_filter = ("challenge", "is_benchmark")
    search_fields = ("name",)
    fields = ("challenge", "name", "is_benchmark", "invite_code", "created")
    readonly_fields = ("challenge", "is_benchmark", "invite_code", "created")
    inlines = [MembershipInline]


class EventInline(admin.TabularInline):
    model = SubmissionEvent
    extra = 0
    can_delete = False
    readonly_fields = ("status", "message", "at")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Submission)
class SubmissionAdmin(ReadOnly):
    list_display = ("uid", "phase", "team", "status", "created", "selected_final", "is_late")
    list_filter = ("status", "phase__challenge", "phase")
    search_fields = ("uid", "team__name", "original_name")
    inlines = [EventInline]


@admin.register(Score)
class ScoreAdmin(ReadOnly):
    list_display = ("submission", "subset", "metric", "value", "current", "late", "created")
    list_filter = ("subset", "current", "phase")
    exclude = ("replicas",)


@admin.register(Standing)
class StandingAdmin(ReadOnly):
    list_display = ("phase", "team", "entries", "public_score", "private_score", "version")
    list_filter = ("phase",)
