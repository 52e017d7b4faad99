from django.urls import path

from stoa.conversation import notification_views as views

app_name = "notifications"

urlpatterns = [
    path("activity/", views.activity, name="activity"),
    path("activity/read/", views.mark_all_read, name="mark_all_read"),
    path("activity/<int:notification_id>/", views.open_notification, name="open"),
    path("bookmarks/", views.bookmarks, name="bookmarks"),
    path("bookmarks/<int:comment_id>/remove/", views.remove_bookmark, name="remove_bookmark"),
    path("people/<int:user_id>/", views.profile, name="profile"),
    path("people/<int:user_id>/follow/", views.follow, name="follow"),
    path("people/<int:user_id>/unfollow/", views.unfollow, name="unfollow"),
]
