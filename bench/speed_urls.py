"""The bare baselines of bench.speed, behind the product's middleware (sessions, auth, CSRF,
and the rest): a view that reads the signed-in user and answers, and a POST that inserts one
row in a transaction and redirects, as marking a step complete does. Then every URL of Stoa."""

from django.db import connection, transaction
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_POST

from stoa.urls import urlpatterns as stoa_urlpatterns

TABLE = "bench_row"
CREATE_TABLE = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} "
    "(id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, at TIMESTAMP NOT NULL)"
)


def bare(request):
    return HttpResponse(f"ok {request.user.pk}", content_type="text/plain")


@require_POST
def bare_insert(request):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (user_id, at) VALUES (%s, %s)", [request.user.pk, timezone.now()]
        )
    return HttpResponseRedirect("/bench/bare/")


urlpatterns = [
    path("bench/bare/", bare),
    path("bench/bare-insert/", bare_insert),
    *stoa_urlpatterns,
]
