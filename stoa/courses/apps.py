from django.apps import AppConfig


class CoursesConfig(AppConfig):
    name = "stoa.courses"
    verbose_name = "Courses"
