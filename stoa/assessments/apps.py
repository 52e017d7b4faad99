from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "stoa.assessments"
    verbose_name = "Assessments"
