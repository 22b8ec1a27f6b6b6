from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "dangjian.analytics"
    label = "analytics"
