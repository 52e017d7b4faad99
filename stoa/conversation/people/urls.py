from django.urls import path

from stoa.conversation.people import views

app_name = "people"

urlpatterns = [
    path("bookmarks/", views.bookmarks, name="bookmarks"),
    path("bookmarks/<id:comment_id>/remove/", views.remove_bookmark, name="remove_bookmark"),
    path("people/<id:user_id>/", views.profile, name="profile"),
    path("people/<id:user_id>/follow/", views.follow, name="follow"),
    path("people/<id:user_id>/unfollow/", views.unfollow, name="unfollow"),
]
