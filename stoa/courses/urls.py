from django.urls import path

from stoa.courses import views

app_name = "courses"
urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("teach/", views.teach, name="teach"),
]
