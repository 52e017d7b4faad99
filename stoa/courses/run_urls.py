"""The Runs tab of the course team's workspace: its own namespace, "runs", which the
workspace's tabs look for (courses/workspace/base.html)."""

from django.urls import path

from stoa.courses import views

app_name = "runs"
urlpatterns = [
    path("teach/<slug:slug>/runs/", views.runs, name="list"),
    path("teach/<slug:slug>/runs/new/", views.run_new, name="new"),
    path("teach/<slug:slug>/runs/<id:run_id>/edit/", views.run_edit, name="edit"),
]
