from django.urls import path

from stoa.conversation.notifications import views

app_name = "notifications"

urlpatterns = [
    path("activity/", views.activity, name="activity"),
    path("activity/read/", views.mark_all_read, name="mark_all_read"),
    path("activity/<id:notification_id>/", views.open_notification, name="open"),
]
