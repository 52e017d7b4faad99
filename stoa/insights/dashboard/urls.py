from django.urls import path

from stoa.insights.dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("teach/<slug:slug>/", views.overview, name="overview"),
    path("teach/<slug:slug>/dashboard/<slug:chart>.csv", views.chart_csv, name="csv"),
]
