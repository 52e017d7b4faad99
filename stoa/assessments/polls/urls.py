from django.urls import path

from stoa.assessments.polls import views

app_name = "polls"

step = "courses/<slug:slug>/steps/<id:week>.<id:position>/"
urlpatterns = [
    path(step + "poll/", views.vote, name="vote"),
]
