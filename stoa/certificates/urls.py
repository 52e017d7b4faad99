from django.urls import path

from stoa.certificates import views

app_name = "certificates"

certificate = "certificates/<str:code>/"
urlpatterns = [
    path("achievements/", views.achievements, name="achievements"),
    path("certificates/keys/site.json", views.site_key, name="site_key"),
    path(certificate, views.verify, name="verify"),
    path(certificate + "certificate.pdf", views.pdf, name="pdf"),
    path(certificate + "credential.json", views.credential, name="credential"),
    path(certificate + "status.json", views.status, name="status"),
    path(certificate + "revoke/", views.revoke, name="revoke"),
    path(certificate + "restore/", views.restore, name="restore"),
]
