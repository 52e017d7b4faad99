from django.urls import path

from stoa.assessments import views

app_name = "assessments"

step = "courses/<slug:slug>/steps/<id:week>.<id:position>/"
urlpatterns = [
    path(step + "poll/", views.vote, name="vote"),
]
