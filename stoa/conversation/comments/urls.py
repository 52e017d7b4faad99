from django.urls import path

from stoa.conversation.comments import views

app_name = "comments"

# The templates build each comment's URLs on the "comments" URL (comments/<id>/like/ and so
# on) to spare a reverse() per comment: keep these paths under it.
comments = "courses/<slug:slug>/steps/<id:week>.<id:position>/comments/"
comment = comments + "<id:comment_id>/"
urlpatterns = [
    path(comments, views.comments, name="comments"),
    path(comments + "new/", views.post, name="post"),
    path(comment, views.comment, name="comment"),
    path(comment + "replies/", views.replies, name="replies"),
    path(comment + "reply/", views.reply, name="reply"),
    path(comment + "edit/", views.edit, name="edit"),
    path(comment + "delete/", views.delete, name="delete"),
    path(comment + "like/", views.like, name="like"),
    path(comment + "bookmark/", views.bookmark, name="bookmark"),
    path(comment + "follow/", views.follow, name="follow"),
]
