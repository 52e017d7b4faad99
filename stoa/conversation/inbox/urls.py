from django.urls import path

from stoa.conversation.inbox import views

app_name = "inbox"

inbox = "teach/<slug:slug>/inbox/"
# rendering.pin_url builds each comment's pin/ and unpin/ on the pin URL: keep them together.
comment = "teach/<slug:slug>/comments/<id:comment_id>/"
urlpatterns = [
    path(inbox, views.inbox, name="inbox"),
    path(inbox + "<id:comment_id>/reply/", views.reply, name="reply"),
    path(inbox + "<id:comment_id>/handled/", views.handled, name="handled"),
    path(comment + "pin/", views.pin, name="pin"),
    path(comment + "unpin/", views.unpin, name="unpin"),
]
