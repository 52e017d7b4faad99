import sys

import pytest
from django.test import RequestFactory
from django.views.debug import ExceptionReporter, get_default_exception_reporter_filter

from stoa.lib.error_reports import SecretHidingExceptionReporterFilter, hide_url_passwords

HIDDEN = SecretHidingExceptionReporterFilter.cleansed_substitute
# Joined at run time, and not local variables: the report shows the lines of source around the
# failure as written, and the variables of its frames.
IN_META, IN_FRAME = "-".join(["s3cret", "meta"]), "-".join(["s3cret", "frame"])


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("postgres://stoa:s3cret@db:5432/stoa", f"postgres://stoa:{HIDDEN}@db:5432/stoa"),
        ("redis://:s3cret@cache:6379/0", f"redis://:{HIDDEN}@cache:6379/0"),
        ("amqp://u:p@ss@mq/vhost", f"amqp://u:{HIDDEN}@mq/vhost"),  # an unescaped "@"
        ("go to https://a:b@x.example?q=1 now", f"go to https://a:{HIDDEN}@x.example?q=1 now"),
        (
            "one redis://:a@h1/0, two redis://:b@h2/1",
            f"one redis://:{HIDDEN}@h1/0, two redis://:{HIDDEN}@h2/1",
        ),
    ],
)
def test_url_passwords_are_hidden_and_the_rest_kept(text, shown):
    assert hide_url_passwords(text, HIDDEN) == shown


@pytest.mark.parametrize(
    "text",
    [
        "redis://cache.internal:6379/0",
        "postgres://stoa@db/stoa",
        "https://example.org/people/ada@example.org",
        "ada@example.org",
        "",
    ],
)
def test_text_without_a_url_password_is_left_alone(text):
    assert hide_url_passwords(text, HIDDEN) == text


def test_the_filter_hides_url_settings_and_passwords_nested_in_other_settings():
    cleanse = SecretHidingExceptionReporterFilter().cleanse_setting

    assert cleanse("DATABASE_URL", "postgres://stoa:s3cret@db/stoa") == HIDDEN
    assert cleanse("REDIS_URL", "redis://cache/0") == HIDDEN
    caches = {"default": {"LOCATION": "redis://:s3cret@cache/0", "OPTIONS": ["x://u:p@h"]}}
    assert cleanse("CACHES", caches) == {
        "default": {"LOCATION": f"redis://:{HIDDEN}@cache/0", "OPTIONS": [f"x://u:{HIDDEN}@h"]}
    }
    assert cleanse("SITE_URL", "https://courses.example.org") == "https://courses.example.org"


def test_the_filter_hides_url_passwords_in_meta_and_frame_variables(settings):
    settings.DEFAULT_EXCEPTION_REPORTER_FILTER = (
        "stoa.lib.error_reports.SecretHidingExceptionReporterFilter"
    )
    get_default_exception_reporter_filter.cache_clear()
    request = RequestFactory().get("/", HTTP_X_UPSTREAM=f"http://proxy:{IN_META}@upstream")
    broker = f"amqp://worker:{IN_FRAME}@mq/"  # noqa: F841 (a variable the report shows)
    try:
        raise RuntimeError("broken")
    except RuntimeError:
        page = ExceptionReporter(request, *sys.exc_info()).get_traceback_html()
    get_default_exception_reporter_filter.cache_clear()

    assert "amqp://worker:" in page and "http://proxy:" in page
    assert IN_META not in page
    assert IN_FRAME not in page
