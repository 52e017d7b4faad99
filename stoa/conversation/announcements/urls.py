"""Announcements: the workspace's tab (its namespace, "announcements", is what the
workspace's tabs look for: courses/workspace/base.html), unsubscribe links and settings."""

from django.urls import path

from stoa.conversation.announcements import views

app_name = "announcements"

urlpatterns = [
    path("teach/<slug:slug>/announcements/", views.announcements, name="list"),
    path("teach/<slug:slug>/announcements/new/", views.new, name="new"),
    path("announcements/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("announcements/settings/", views.email_settings, name="settings"),
]
