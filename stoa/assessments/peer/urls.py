from django.urls import path

from stoa.assessments.peer import views

app_name = "peer"

step = "courses/<slug:slug>/steps/<id:week>.<id:position>/"
urlpatterns: list = []
