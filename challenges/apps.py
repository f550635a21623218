from django.apps import AppConfig


class ChallengesConfig(AppConfig):
    name = "fivesigma.challenges"
    label = "challenges"
    verbose_name = "Challenges"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        import fivesigma.celery  # noqa: F401  (the Celery app the tasks are registered on)
        from fivesigma.challenges import tasks  # noqa: F401  (registers them by name)
        from fivesigma.challenges.engine import standings  # noqa: F401  (its signal receiver)
