from django.urls import path

from stoa.assessments.questions import views

app_name = "questions"

step = "courses/<slug:slug>/steps/<id:week>.<id:position>/"
urlpatterns = [
    path(step + "questions/<id:number>/answer/", views.answer, name="answer"),
    path(step + "test/reset/", views.reset, name="reset"),
]
