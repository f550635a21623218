"""python manage.py setup_demo: list the demo challenges, prepare them now or in a worker."""

import secrets

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from fivesigma.challenges import tasks
from fivesigma.challenges.engine import demo
from fivesigma.challenges.kinds import DEMO_SIZES, KINDS

ORGANISER = "organiser"


class Command(BaseCommand):
    help = (
        "List the HiggsML and TrackML demo challenges and prepare them: generate their data "
        "(once), build the starter kits, load the bundles, submit the baselines as benchmark rows."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--size",
            choices=DEMO_SIZES,
            default="full",
            help="how much data to simulate (event counts in each kind of challenges/kinds): full for "
            "make run, small for a quick look, tiny for the automated test (seconds of data, "
            "and no baseline in the TrackML throughput phase: its sandbox run alone spends "
            "about 35 s of CPU compiling). Each size keeps its own data under "
            "DATA_DIR/demo/<name>-<size>.",
        )
        parser.add_argument("--only", choices=sorted(KINDS), action="append")
        parser.add_argument(
            "--background",
            action="store_true",
            help="list the challenges at once and leave their preparation to the workers (one "
            "task per demo not yet prepared at this size; make run does this before it starts "
            "its worker); without it, prepare them here and now, reloading prepared ones.",
        )

        parser.add_argument(
            "--migrate",
            action="store_true",
            help="apply the database migrations first (make run: one start-up instead of two)",
        )

    def handle(self, size, only=None, background=False, migrate=False, **options):
        if migrate:
            call_command("migrate", interactive=False, verbosity=0)
        organiser = self.organiser()
        for name in only or sorted(KINDS):
            preparation = demo.register(name, organiser, size)
            title = preparation.challenge.title
            if not background:
                self.stdout.write(
                    f"Preparing the {name} demo ({size} data; generated once, then reused)..."
                )
                try:
                    demo.prepare(preparation, lambda p: self.stdout.write(demo.progress_line(p)))
                except Exception as error:
                    raise CommandError(f"the {name} demo: {preparation.error}") from error
                self.stdout.write(self.style.SUCCESS(f"Loaded '{title}'."))
            elif preparation.is_ready:
                self.stdout.write(f"'{title}' is ready ({size} data, prepared earlier).")
            else:
                tasks.prepare_demo.delay(preparation.pk)
                self.stdout.write(
                    f"'{title}' is listed; a worker prepares it in the background "
                    f"({preparation.steps} steps, shown on its page and in the worker's log)."
                )

    def organiser(self):
        users = get_user_model()
        organiser = users.objects.filter(username=ORGANISER).first()
        if organiser is None:
            password = secrets.token_urlsafe(12)
            organiser = users.objects.create_user(ORGANISER, password=password, is_staff=True)
            self.stdout.write(
                self.style.WARNING(
                    f"Demo organiser account created (shown once): username '{ORGANISER}', password '{password}'"
                )
            )
        return organiser
