"""Fixed words translated once per process and language.

gettext costs a few microseconds a call (the active language is a context-local lookup, then
each message goes through the merged catalogs and their fallbacks), and the pages every
learner opens use a few dozen fixed words: a tenth of the to-do page's time. A Words holds a
page part's fixed words and gives them translated into the active language, translating each
language's once. Messages are marked with gettext_noop so that makemessages finds them.

    WORDS = Words(done=gettext_noop("Completed"), todo=gettext_noop("Not completed"))
    words = WORDS.now()  # {"done": "Completed", ...} in the active language
    words = WORDS.html()  # the same, escaped for HTML
"""

from html import escape

from django.utils.translation import get_language, gettext


class Words:
    def __init__(self, **messages: str) -> None:
        self._messages = messages
        self._translated: dict[tuple[str | None, bool], dict[str, str]] = {}

    def now(self) -> dict[str, str]:
        """The words in the active language."""
        return self._in(get_language(), html=False)

    def html(self) -> dict[str, str]:
        """The same, escaped for HTML (a translation may hold "&" or "<")."""
        return self._in(get_language(), html=True)

    def _in(self, language: str | None, *, html: bool) -> dict[str, str]:
        try:
            return self._translated[language, html]
        except KeyError:
            words = {name: gettext(message) for name, message in self._messages.items()}
            if html:
                words = {name: escape(word) for name, word in words.items()}
            self._translated[language, html] = words
            return words
