"""Settings come from the environment; each case imports them fresh in a subprocess."""

import os
import subprocess
import sys
import threading

import pytest
from django.db import close_old_connections, connection, transaction

from stoa.accounts.models import User
from stoa.testing import load_settings

PRODUCTION_ENV = {
    "STOA_ENV": "production",
    "STOA_SECRET_KEY": "k" * 20 + "-production-secret-for-tests-" + "z" * 20,
    "STOA_ALLOWED_HOSTS": "courses.example.org",
}


def test_defaults_are_sqlite_local_media_and_in_process_cache():
    config = load_settings()
    database = config["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"] == "/tmp/stoa-settings-test/stoa.sqlite3"
    assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in database["OPTIONS"]["init_command"]
    assert database["OPTIONS"]["timeout"] >= 5
    assert config["CACHES"]["default"]["BACKEND"].endswith("LocMemCache")
    assert config["STORAGES"]["default"]["BACKEND"].endswith("FileSystemStorage")
    assert config["MEDIA_ROOT"] == "/tmp/stoa-settings-test/media"
    assert config["DEBUG"] is True


def test_database_url_switches_to_postgresql():
    config = load_settings(DATABASE_URL="postgres://stoa:secret@db.internal:5433/stoa")
    database = config["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["HOST"], database["PORT"], database["NAME"]) == ("db.internal", 5433, "stoa")
    assert database["USER"] == "stoa"


def test_redis_url_puts_cache_and_sessions_on_redis():
    config = load_settings(REDIS_URL="redis://cache.internal:6380/2")
    assert config["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert config["CACHES"]["default"]["LOCATION"] == "redis://cache.internal:6380/2"
    assert config["SESSION_ENGINE"] == "django.contrib.sessions.backends.cache"


def test_s3_bucket_moves_media_to_s3_storage():
    config = load_settings(STOA_S3_BUCKET="stoa-media", STOA_S3_ENDPOINT_URL="https://s3.example")
    storage = config["STORAGES"]["default"]
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    assert storage["OPTIONS"]["bucket_name"] == "stoa-media"


def test_production_requires_a_secret_key():
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={
            **os.environ,
            "STOA_ENV": "production",
            "STOA_SECRET_KEY": "",
            "DJANGO_SETTINGS_MODULE": "stoa.settings",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "STOA_SECRET_KEY must be set" in result.stderr


def test_production_turns_on_secure_settings():
    config = load_settings(**PRODUCTION_ENV)
    assert config["DEBUG"] is False
    assert config["SESSION_COOKIE_SECURE"] and config["CSRF_COOKIE_SECURE"]
    assert config["SECURE_HSTS_SECONDS"] >= 31536000
    assert config["SECURE_SSL_REDIRECT"] is True
    assert config["ALLOWED_HOSTS"] == ["courses.example.org"]


def test_deploy_check_is_clean_with_production_settings(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    result = subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "DEBUG"],
        env={
            **env,
            **PRODUCTION_ENV,
            "DJANGO_SETTINGS_MODULE": "stoa.settings",
            "STOA_DATA_DIR": str(tmp_path),
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


DEBUG_PAGE = """
import os, sys
import django
django.setup()
from django.test import RequestFactory
from django.views.debug import technical_500_response

# As under runserver, where the request's META holds the server's environment.
request = RequestFactory().get("/", **os.environ)
database_url = os.environ["DATABASE_URL"]  # a variable of the frame that fails
try:
    raise RuntimeError("something went wrong")
except RuntimeError:
    response = technical_500_response(request, *sys.exc_info())
sys.stdout.write(response.content.decode())
"""


def test_the_debug_error_page_shows_no_database_or_redis_password():
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("STOA_", "DATABASE_URL"))}
    clean.pop("REDIS_URL", None)
    env = {
        **clean,
        "DJANGO_SETTINGS_MODULE": "stoa.settings",
        "STOA_DATA_DIR": "/tmp/stoa-settings-test",
        "DATABASE_URL": "postgres://stoa:db-pass-7Hq2@db.internal:5433/stoa",
        "REDIS_URL": "redis://:redis-pass-9Xk4@cache.internal:6380/2",
        # Not one of Stoa's settings: hidden because it is a URL with a password in it.
        "MAILER_URL": "smtp://mailer:mail-pass-4Wd8@mail.internal:587",
    }
    result = subprocess.run(
        [sys.executable, "-c", DEBUG_PAGE], env=env, capture_output=True, text=True, check=False
    )

    assert result.returncode == 0, result.stderr
    page = result.stdout
    assert "something went wrong" in page
    assert "db.internal" in page and "cache.internal:6380" in page and "mail.internal" in page
    for password in ("db-pass-7Hq2", "redis-pass-9Xk4", "mail-pass-4Wd8"):
        assert password not in page


def test_production_uses_the_filter_that_hides_url_passwords():
    config = load_settings(**PRODUCTION_ENV)

    assert config["DEFAULT_EXCEPTION_REPORTER_FILTER"] == (
        "stoa.lib.error_reports.SecretHidingExceptionReporterFilter"
    )


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's own settings")
@pytest.mark.django_db
def test_sqlite_connection_uses_wal_and_waits_for_locks():
    with connection.cursor() as cursor:
        assert cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert cursor.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
@pytest.mark.django_db
def test_database_url_connects_to_postgresql():
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        assert int(cursor.fetchone()[0]) >= 150000


@pytest.mark.django_db(transaction=True)
def test_many_concurrent_writers_never_see_a_locked_database():
    """Eight threads, each in its own connection, read-then-write at once, 25 times each."""
    user = User.objects.create_user("counter@example.org", "pw-123456789", display_name="0")
    errors: list[Exception] = []
    start = threading.Barrier(8)

    def writer():
        try:
            start.wait()
            for _ in range(25):
                with transaction.atomic():
                    row = User.objects.select_for_update().get(pk=user.pk)
                    row.display_name = str(int(row.display_name) + 1)
                    row.save(update_fields=["display_name"])
        except Exception as exc:
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=writer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    user.refresh_from_db()
    assert user.display_name == "200"
