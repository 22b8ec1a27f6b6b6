from django.apps import AppConfig


class PointsConfig(AppConfig):
    name = "dangjian.points"
    label = "points"

    def ready(self) -> None:
        from . import workbench  # noqa: F401  (registers the workbench provider)
