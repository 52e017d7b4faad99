from django.apps import AppConfig


class LearningConfig(AppConfig):
    name = "stoa.learning"
    verbose_name = "Learning"
