from django.utils import translation
from django.utils.translation import gettext_noop

from stoa.lib.i18n import Words


def test_words_are_translated_into_the_active_language_once(monkeypatch):
    calls = []
    words = Words(signin=gettext_noop("Sign in"), amp=gettext_noop("Terms & conditions"))

    def counting(message):
        calls.append(message)
        return f"[{message}]"

    monkeypatch.setattr("stoa.lib.i18n.gettext", counting)
    for _ in range(3):
        assert words.now() == {"signin": "[Sign in]", "amp": "[Terms & conditions]"}
    assert words.html()["amp"] == "[Terms &amp; conditions]"
    assert len(calls) == 4  # each word once for text and once for HTML

    with translation.override("fr"):
        words.now()
    assert len(calls) == 6  # and once in another language
