from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path

from stoa.accounts.views import admin_login
from stoa.media import serve_media

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("stoa.courses.urls")),
    path("", include("stoa.learning.urls")),
    path("accounts/", include("stoa.accounts.urls")),
    path("", include("stoa.conversation.urls")),
    path("", include("stoa.conversation.moderation_urls")),
    path("", include("stoa.conversation.notification_urls")),
    # Before the admin's own URLs, so that this, not the admin's form, answers admin:login.
    path("admin/login/", admin_login),
    path("admin/", admin.site.urls),
]

if not settings.S3_BUCKET and settings.MEDIA_URL.startswith("/"):
    urlpatterns.append(
        re_path(rf"^{settings.MEDIA_URL.strip('/')}/(?P<path>.+)$", serve_media, name="media")
    )
