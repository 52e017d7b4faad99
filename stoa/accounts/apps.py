from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "stoa.accounts"
    verbose_name = "Accounts"
