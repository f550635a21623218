"""python manage.py load_challenge PATH [--organiser USERNAME]: load or update a bundle."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from fivesigma.challenges.engine import bundles


class Command(BaseCommand):
    help = (
        "Check and load a challenge bundle (a directory or zip with challenge.yaml, or a "
        "Codabench competition.yaml); reloading updates it."
    )

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--organiser", help="username to add as an organiser")

    def handle(self, path, organiser=None, **options):
        user = None
        if organiser:
            user = get_user_model().objects.filter(username=organiser).first()
            if user is None:
                raise CommandError(f"No user named '{organiser}'.")
        try:
            loaded = bundles.load_bundle(path, organiser=user)
        except bundles.BundleError as error:
            raise CommandError(str(error)) from error
        challenge = loaded.challenge
        phases = ", ".join(
            f"{p.key} ({p.metric or 'scoring program'})" for p in challenge.phases.all()
        )
        for note in loaded.notes:
            self.stdout.write(f"note: {note}")
        self.stdout.write(
            self.style.SUCCESS(f"Loaded '{challenge.title}' [{challenge.slug}]: phases {phases}.")
        )
