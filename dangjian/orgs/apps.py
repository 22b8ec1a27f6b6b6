from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "dangjian.orgs"
    label = "orgs"

    def ready(self) -> None:
        from . import workbench, workbench_work  # noqa: F401  (register the workbench providers)
