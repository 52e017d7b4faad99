from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "stoa.certificates"
    verbose_name = "Certificates"
