"""python manage.py setup_demo: generate the demo data once, load both demo challenges."""

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from fivesigma.challenges.engine import demo
from fivesigma.challenges.kinds import DEMO_SIZES, KINDS

ORGANISER = "organiser"


class Command(BaseCommand):
    help = "Generate the demo datasets (once), load the HiggsML and TrackML demo bundles, add benchmark rows."

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

    def handle(self, size, only=None, **options):
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
        for name in only or sorted(KINDS):
            self.stdout.write(
                f"Preparing the {name} demo ({size} data; generated once, then reused)..."
            )
            challenge = demo.load_demo(name, organiser, size)
            self.stdout.write(self.style.SUCCESS(f"Loaded '{challenge.title}'."))
