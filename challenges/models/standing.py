"""Each team's row on a phase's leaderboards, kept current as submissions move."""

from __future__ import annotations

from django.db import models


class Standing(models.Model):
    """What a phase's leaderboards show of one team, maintained by ``challenges.standings``.

    ``public_score`` is the team's best counted public score (the public board);
    ``private_score`` the best private score among its final submissions (the private board).
    A leaderboard is then one read of a phase's standings, whatever its number of submissions,
    and a kept leaderboard catches up by reading the rows whose ``version`` is newer than its
    own. Teams with no on-time submission (``entries == 0``) are not listed.
    """

    phase = models.ForeignKey("challenges.Phase", on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey("challenges.Team", on_delete=models.CASCADE, related_name="+")
    entries = models.PositiveIntegerField(default=0, help_text="on-time submissions, any status")
    last_submission = models.DateTimeField(null=True, help_text="newest on-time upload")
    public_score = models.ForeignKey(
        "challenges.Score", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    private_score = models.ForeignKey(
        "challenges.Score", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    version = models.PositiveBigIntegerField(
        default=0, help_text="the phase's board_version when this row last changed"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["phase", "team"], name="one_standing")]
        indexes = [models.Index(fields=["phase", "version"], name="standing_changes")]

    def __str__(self) -> str:
        return f"team {self.team_id} in phase {self.phase_id}"
