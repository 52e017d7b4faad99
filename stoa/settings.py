"""Stoa's settings, read from environment variables with safe defaults.

Development defaults: SQLite under ./data, local media, an in-process cache.
DATABASE_URL switches to PostgreSQL, REDIS_URL moves cache and sessions to Redis,
STOA_S3_BUCKET moves media to S3-compatible storage, STOA_ENV=production hardens the rest.
"""

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("STOA_DATA_DIR", BASE_DIR.parent / "data"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


PRODUCTION = os.environ.get("STOA_ENV", "development") == "production"
DEBUG = env_bool("STOA_DEBUG", not PRODUCTION)

if PRODUCTION:
    SECRET_KEY = os.environ.get("STOA_SECRET_KEY", "")
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("STOA_SECRET_KEY must be set to at least 50 random characters.")
else:
    SECRET_KEY = os.environ.get("STOA_SECRET_KEY", "insecure-development-key-" + "x" * 40)

ALLOWED_HOSTS = env_list("STOA_ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("STOA_CSRF_TRUSTED_ORIGINS", "")
# Load balancers whose X-Forwarded-For names the real client, for per-address rate limits.
STOA_TRUSTED_PROXIES = env_list("STOA_TRUSTED_PROXIES", "")
# A MaxMind GeoIP2 (or GeoLite2) Country or City database, to count video views by continent
# for the research data (stoa.learning.video; needs the geoip2 package). Unset, nothing is
# looked up and the continent columns stay empty.
STOA_GEOIP_PATH = os.environ.get("STOA_GEOIP_PATH", "")
SITE_NAME = os.environ.get("STOA_SITE_NAME", "Stoa")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # SearchVectorField (courses.SearchEntry); its connection hooks act on PostgreSQL only.
    "django.contrib.postgres",
    "django_htmx",
    "django_tasks_db",
    "stoa.accounts",
    "stoa.courses",
    "stoa.learning",
    "stoa.conversation",
    "stoa.assessments",
    "stoa.certificates",
    "stoa.insights",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages compressed for slow links (static files come compressed already, from WhiteNoise);
    # Django pads compressed responses at random against BREACH.
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "stoa.urls"
# Sections other apps add below every step page (see stoa.learning.access), in this order:
# a poll is its step's activity, so it comes before the conversation about it.
STOA_STEP_PANELS = [
    "stoa.assessments.panels.step_assessment",
    "stoa.conversation.comments.panels.step_conversation",
]
# A learner's state on quizzes, tests and peer review for the to-do list, and their test scores
# on the progress page (see stoa.learning.extensions).
STOA_STEP_STATES = [
    "stoa.assessments.questions.selectors.step_states",
    "stoa.assessments.peer.selectors.step_states",
]
STOA_PROGRESS_PANELS = [
    "stoa.certificates.panels.progress_panel",
    "stoa.assessments.questions.panels.progress_panel",
]
# Called in the transaction of every write that grows a learner's record (a step completed, a
# test answered): certificates are issued the moment they are earned, and the research data's
# "fully participated" is set the moment it is reached.
STOA_PROGRESS_HOOKS = [
    "stoa.certificates.services.issue_earned",
    "stoa.learning.services.note_full_participation",
]
# Sections other apps add to a course's moderation queue (stoa.conversation.moderation.views),
# each a function (request, course) -> StepPanel | None.
STOA_MODERATION_PANELS = ["stoa.assessments.peer.panels.moderation_panel"]
WSGI_APPLICATION = "stoa.wsgi.application"
ASGI_APPLICATION = "stoa.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "stoa.context_processors.site",
            ],
            # {% url %} remembering what it reversed, in place of Django's (stoa.lib.urls).
            "builtins": ["stoa.lib.urls"],
        },
    },
]

# Database: SQLite by default, tuned so that many learners writing at once wait their turn
# instead of failing with "database is locked": WAL lets readers run beside the writer, the
# timeout makes writers queue, and IMMEDIATE transactions take the write lock up front so a
# read-then-write transaction cannot deadlock against another.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
# Declared for both branches: dj_database_url's config type says NAME is a str, and SQLite's
# below is a Path, which Django accepts.
DATABASES: dict[str, Mapping[str, Any]]
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=int(os.environ.get("STOA_DB_CONN_MAX_AGE", "60")),
            conn_health_checks=True,
        )
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "stoa.sqlite3",
            # Kept open between requests as PostgreSQL's are: opening a SQLite file per request
            # (and its pragmas) costs more than most pages' queries.
            "CONN_MAX_AGE": int(os.environ.get("STOA_DB_CONN_MAX_AGE", "60")),
            "CONN_HEALTH_CHECKS": True,
            # A file, not memory, so tests see WAL and the live server shares the database;
            # one per process, so test runs side by side don't collide.
            "TEST": {"NAME": Path(tempfile.gettempdir()) / f"stoa-test-{os.getpid()}.sqlite3"},
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA foreign_keys=ON;"
                    "PRAGMA busy_timeout=20000;"
                    "PRAGMA cache_size=-20000;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache and sessions: in-process by default; Redis, shared by all app servers, with REDIS_URL.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "stoa",
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:signin"
LOGIN_REDIRECT_URL = "learning:my_courses"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("STOA_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise expects it before collectstatic
MEDIA_URL = os.environ.get("STOA_MEDIA_URL", "/media/")
MEDIA_ROOT = Path(os.environ.get("STOA_MEDIA_ROOT", DATA_DIR / "media"))

# Declared so that the S3 entry below, with its OPTIONS, fits as well.
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "stoa.lib.staticfiles.StaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
S3_BUCKET = os.environ.get("STOA_S3_BUCKET", "")
if S3_BUCKET:
    # Any S3-compatible service; credentials come from the usual AWS_* variables.
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": os.environ.get("STOA_S3_ENDPOINT_URL") or None,
            "custom_domain": os.environ.get("STOA_S3_CUSTOM_DOMAIN") or None,
            "querystring_auth": False,
            "file_overwrite": False,
        },
    }
WHITENOISE_USE_FINDERS = DEBUG

# Background tasks (django.tasks): queued in a database table and run by `stoa db_worker`, on
# SQLite and PostgreSQL alike. STOA_TASKS_BACKEND=immediate runs each task inline when it is
# enqueued, for a site without a worker (the tests use it too; see conftest.py).
TASKS_BACKEND = os.environ.get("STOA_TASKS_BACKEND", "database")
if TASKS_BACKEND not in {"database", "immediate"}:
    raise ImproperlyConfigured("STOA_TASKS_BACKEND must be 'database' or 'immediate'.")
TASKS = {
    "default": {
        "BACKEND": (
            "django.tasks.backends.immediate.ImmediateBackend"
            if TASKS_BACKEND == "immediate"
            else "django_tasks_db.DatabaseBackend"
        )
    }
}

# The site's address, for links in email sent by background tasks (which have no request).
SITE_URL = os.environ.get("STOA_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Mail goes to the console in development until an SMTP host is configured; production
# always sends through SMTP (by default a local mail server on localhost).
if PRODUCTION or os.environ.get("STOA_EMAIL_HOST"):
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": os.environ.get("STOA_EMAIL_HOST", "localhost"),
                "port": int(os.environ.get("STOA_EMAIL_PORT", "587")),
                "username": os.environ.get("STOA_EMAIL_USER", ""),
                "password": os.environ.get("STOA_EMAIL_PASSWORD", ""),
                "use_tls": env_bool("STOA_EMAIL_USE_TLS", True),
            },
        }
    }
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
DEFAULT_FROM_EMAIL = os.environ.get("STOA_FROM_EMAIL", "Stoa <noreply@localhost>")

# Content Security Policy: no inline scripts or styles; media may come from https hosts.
SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:", "https:"],
    "media-src": ["'self'", "https:"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
    "base-uri": ["'self'"],
    "object-src": ["'none'"],
}

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("STOA_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("STOA_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Error reports (the debug page, error emails) leave out the passwords in DATABASE_URL,
# REDIS_URL and any other URL, wherever they turn up: settings, request.META, variables.
DEFAULT_EXCEPTION_REPORTER_FILTER = "stoa.lib.error_reports.SecretHidingExceptionReporterFilter"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"require_debug_false": {"()": "django.utils.log.RequireDebugFalse"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        # Django prints a failed request only with DEBUG (and mails it only to ADMINS): in
        # production its traceback goes to the log too.
        "errors": {
            "class": "logging.StreamHandler",
            "level": "ERROR",
            "filters": ["require_debug_false"],
        },
    },
    # Django configures its own loggers; this adds Stoa's without printing Django's twice.
    "loggers": {
        "stoa": {"handlers": ["console"], "level": os.environ.get("STOA_LOG_LEVEL", "INFO")},
        "django.request": {"handlers": ["errors"], "level": "ERROR"},
    },
}
