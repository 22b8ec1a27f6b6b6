from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "dangjian.meetings"
    label = "meetings"

    def ready(self) -> None:
        from . import workbench  # noqa: F401  (registers the workbench provider)
