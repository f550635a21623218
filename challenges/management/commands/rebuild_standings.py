"""python manage.py rebuild_standings [CHALLENGE]: derive every team's standing again."""

from django.core.management.base import BaseCommand, CommandError

from fivesigma.challenges.engine import standings
from fivesigma.challenges.models import Phase, Standing

KEPT_COLUMNS = ("team_id", "entries", "last_submission", "public_score_id", "private_score_id")


class Command(BaseCommand):
    help = (
        "Derive the leaderboard standings of every phase (or of one challenge's phases) from "
        "the Score and Submission tables, e.g. after rows were written by hand; says which "
        "teams' rows changed."
    )

    def add_arguments(self, parser):
        parser.add_argument("challenge", nargs="?", help="slug; all challenges when omitted")

    def handle(self, challenge=None, **options):
        phases = Phase.objects.select_related("challenge")
        if challenge is not None:
            phases = phases.filter(challenge__slug=challenge)
            if not phases.exists():
                raise CommandError(f"No challenge '{challenge}' with phases.")
        for phase in phases:
            before = set(Standing.objects.filter(phase=phase).values_list(*KEPT_COLUMNS))
            teams = standings.rebuild(phase)
            after = set(Standing.objects.filter(phase=phase).values_list(*KEPT_COLUMNS))
            changed = sorted({row[0] for row in after - before})
            self.stdout.write(
                f"{phase}: {teams} teams, {len(changed)} rows changed"
                + (f" (team ids {', '.join(map(str, changed))})" if changed else "")
            )
