from django.urls import path

from stoa.insights.research import views

app_name = "research"

urlpatterns = [
    path("teach/<slug:slug>/data/", views.data, name="data"),
    path("teach/<slug:slug>/data/<id:run_id>.zip", views.download_zip, name="zip"),
    path("teach/<slug:slug>/data/<id:run_id>/<str:dataset>.csv", views.download_csv, name="csv"),
]
