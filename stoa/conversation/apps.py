from django.apps import AppConfig


class ConversationConfig(AppConfig):
    name = "stoa.conversation"
    verbose_name = "Conversation"
