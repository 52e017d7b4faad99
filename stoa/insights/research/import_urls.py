from django.urls import path

from stoa.insights.research import import_views

app_name = "data_import"

urlpatterns = [
    path("teach/<slug:slug>/data/import/", import_views.upload, name="upload"),
]
