from django.urls import path

from stoa.insights import views

app_name = "learners"

urlpatterns = [
    path("teach/<slug:slug>/learners/", views.learners, name="list"),
    path("teach/<slug:slug>/learners.csv", views.learners_csv, name="csv"),
]
