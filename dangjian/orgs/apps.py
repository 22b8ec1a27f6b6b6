from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "dangjian.orgs"
    label = "orgs"

    def ready(self) -> None:
        from . import workbench  # noqa: F401  (registers the workbench provider)
