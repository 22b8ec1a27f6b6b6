from django.apps import AppConfig


class LearningConfig(AppConfig):
    name = "dangjian.learning"
    label = "learning"

    def ready(self) -> None:
        from . import workbench  # noqa: F401  (registers the workbench provider)
