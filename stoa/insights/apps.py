from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "stoa.insights"
    verbose_name = "Insights"
