"""``manage.py sweep_upload_spool``: delete uploads abandoned by a killed web process (run
before the web service starts; beat runs the same every 10 minutes)."""

from django.core.management.base import BaseCommand

from fivesigma.challenges.engine import upload_spool


class Command(BaseCommand):
    help = "Delete spooled upload files that no request has touched for a while."

    def handle(self, *args, **options):
        removed = upload_spool.sweep()
        self.stdout.write(f"removed {removed['files']} file(s), {removed['bytes']} bytes")
