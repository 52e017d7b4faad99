from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path, register_converter

from stoa.accounts.views import admin_login
from stoa.lib.converters import IdConverter
from stoa.media import serve_media

# Before the apps' URLs are read: they write ids as <id:...>.
register_converter(IdConverter, "id")

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("stoa.insights.dashboard.urls")),
    path("", include("stoa.courses.urls")),
    path("", include("stoa.courses.run_urls")),
    path("", include("stoa.courses.team_urls")),
    path("", include("stoa.learning.urls")),
    path("accounts/", include("stoa.accounts.urls")),
    path("", include("stoa.conversation.comments.urls")),
    path("", include("stoa.conversation.moderation.urls")),
    path("", include("stoa.conversation.inbox.urls")),
    path("", include("stoa.conversation.notifications.urls")),
    path("", include("stoa.conversation.people.urls")),
    path("", include("stoa.conversation.announcements.urls")),
    path("", include("stoa.assessments.polls.urls")),
    path("", include("stoa.assessments.questions.urls")),
    path("", include("stoa.assessments.peer.urls")),
    path("", include("stoa.certificates.urls")),
    path("", include("stoa.insights.urls")),
    path("", include("stoa.insights.research.urls")),
    path("", include("stoa.insights.research.import_urls")),
    # Before the admin's own URLs, so that this, not the admin's form, answers admin:login.
    path("admin/login/", admin_login),
    path("admin/", admin.site.urls),
]

if not settings.S3_BUCKET and settings.MEDIA_URL.startswith("/"):
    urlpatterns.append(
        re_path(rf"^{settings.MEDIA_URL.strip('/')}/(?P<path>.+)$", serve_media, name="media")
    )

handler400 = "stoa.views.bad_request"
