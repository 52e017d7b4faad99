from django.urls import path

from stoa.conversation.moderation import views

app_name = "moderation"

comment = "courses/<slug:slug>/moderation/comments/<id:comment_id>/"
urlpatterns = [
    path("courses/<slug:slug>/comments/<id:comment_id>/report/", views.report, name="report"),
    path("courses/<slug:slug>/moderation/", views.queue, name="queue"),
    path(comment + "hide/", views.hide, name="hide"),
    path(comment + "restore/", views.restore, name="restore"),
    path(comment + "dismiss/", views.dismiss, name="dismiss"),
]
