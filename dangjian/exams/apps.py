from django.apps import AppConfig


class ExamsConfig(AppConfig):
    name = "dangjian.exams"
    label = "exams"

    def ready(self) -> None:
        from . import workbench  # noqa: F401  (registers the workbench provider)
