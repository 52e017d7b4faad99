"""What error reports leave out: settings.DEFAULT_EXCEPTION_REPORTER_FILTER names the filter here.

Django's own filter hides settings and request.META entries by name (KEY, SECRET, PASS, ...).
Stoa is configured by connection URLs instead, DATABASE_URL and REDIS_URL, whose names say
nothing of the password inside them, and whose values reappear in other settings (the cache's
LOCATION) and, under runserver, in request.META, which holds the server's environment. The
debug page in development and the error emails in production both read through this filter.
"""

import re
from typing import Any

from django.http import HttpRequest
from django.views.debug import SafeExceptionReporterFilter

# scheme://user:password@host. The password runs to the last "@" before the path, so one
# that contains an unescaped "@" is hidden whole; anything unusual is hidden too much rather
# than too little.
_URL_CREDENTIALS = re.compile(r"(?P<start>\b[a-z][a-z0-9+.\-]*://[^\s:/?#@]*:)[^\s/]*@", re.I)


def hide_url_passwords(text: str, substitute: str) -> str:
    """The text with the password of every URL in it replaced; user names and hosts stay,
    since they help to tell which server was meant."""
    return _URL_CREDENTIALS.sub(lambda match: f"{match['start']}{substitute}@", text)


class SecretHidingExceptionReporterFilter(SafeExceptionReporterFilter):
    # Django's names, and the settings holding URLs with passwords.
    hidden_settings = re.compile(
        SafeExceptionReporterFilter.hidden_settings.pattern + "|DATABASE_URL|REDIS_URL", re.I
    )

    def cleanse_setting(self, key: Any, value: Any) -> Any:
        # Django's version calls this one for each item of a dict, list or tuple, and uses it
        # for request.META and cookies too, so every string reaches the last line.
        cleansed = super().cleanse_setting(key, value)
        if isinstance(cleansed, str):
            return hide_url_passwords(cleansed, self.cleansed_substitute)
        return cleansed

    def cleanse_special_types(self, request: HttpRequest | None, value: Any) -> Any:
        # Each local variable of the traceback's frames, shown whether or not DEBUG is on.
        cleansed = super().cleanse_special_types(request, value)
        if isinstance(cleansed, str):
            return hide_url_passwords(cleansed, self.cleansed_substitute)
        return cleansed
