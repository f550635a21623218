"""python manage.py rescore_phase CHALLENGE PHASE: score every submission again."""

from django.core.management.base import BaseCommand, CommandError

from fivesigma.challenges.engine import lifecycle
from fivesigma.challenges.models import Phase


class Command(BaseCommand):
    help = "Queue every scored submission of a phase for re-scoring from its stored files (history is kept)."

    def add_arguments(self, parser):
        parser.add_argument("challenge")
        parser.add_argument("phase")

    def handle(self, challenge, phase, **options):
        found = Phase.objects.filter(challenge__slug=challenge, key=phase).first()
        if found is None:
            raise CommandError(f"No phase '{phase}' in challenge '{challenge}'.")
        self.stdout.write(f"{lifecycle.rescore_phase(found)} submissions queued.")
