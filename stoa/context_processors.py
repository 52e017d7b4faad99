import functools
from html import escape
from urllib.parse import quote

from django.conf import settings
from django.http import HttpRequest
from django.urls import get_script_prefix, get_urlconf
from django.utils.functional import SimpleLazyObject
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext_noop
from django.utils.translation import gettext as _

from stoa.conversation.notifications.selectors import UnreadNotifications
from stoa.lib.http import csrf_token
from stoa.lib.i18n import Words
from stoa.lib.urls import reverse


def site(request: HttpRequest) -> dict:
    # The unread count is lazy: counted once, and only where a page shows it.
    unread = UnreadNotifications(request.user)
    return {
        # In place of Django's (its context processor runs first): masked once per request.
        "csrf_token": SimpleLazyObject(lambda: csrf_token(request)),
        "site_name": settings.SITE_NAME,
        "site_header": SiteHeader(request, unread),
        "unread_notifications": unread,
    }


class SiteHeader:
    """The header of every page: the site's name and navigation, for a visitor or for the
    person signed in. Built here rather than in base.html, since every page pays for it: as a
    template it cost a quarter of a bare view (its nodes walked on every render of a page that
    extends base.html, each URL and name looked up through the template engine). What is the
    same for everyone is made once per language and URL configuration (_fixed); text from
    people (the display name) and from the request (the path) is escaped here."""

    def __init__(self, request: HttpRequest, unread: UnreadNotifications) -> None:
        self.request = request
        self.unread = unread

    def __html__(self) -> SafeString:
        request = self.request
        user = request.user
        fixed = _fixed(get_language(), get_script_prefix(), get_urlconf())
        items = [fixed["courses"]]
        if user.is_authenticated:
            path = request.path
            activity = fixed["activity"]
            if self.unread.count:
                label = _("(%(count)s unread)") % {"count": self.unread.label}
                activity += f' <span class="nav-count">{escape(label)}</span>'
            items += [
                fixed["my_courses"],
                _item(fixed["activity_url"], activity, current=path == fixed["activity_path"]),
                _item(
                    fixed["bookmarks_url"],
                    fixed["bookmarks"],
                    current=path == fixed["bookmarks_path"],
                ),
            ]
            if user.teaches or user.is_staff:
                match = request.resolver_match
                teaching = match is not None and match.url_name == "teach"
                items.append(fixed["teach_current" if teaching else "teach"])
            if user.is_staff:
                items.append(fixed["admin"])
            items += [
                f'<li><a href="{fixed["profile_url"]}">{escape(user.public_name)}</a></li>',
                fixed["sign_out"].format(token=escape(csrf_token(request))),
            ]
        else:
            signin = fixed["signin_url"]
            if request.path != "/":
                signin += "?next=" + escape(quote(request.get_full_path(), safe="/"))
            items += [f'<li><a href="{signin}">{fixed["sign_in"]}</a></li>', fixed["sign_up"]]
        return SafeString(f"{fixed['start']}{''.join(items)}</ul></nav></div></header>")

    __str__ = __html__


# The header's words (stoa.lib.i18n)
HEADER_WORDS = Words(
    courses=gettext_noop("Courses"),
    my_courses=gettext_noop("My courses"),
    activity=gettext_noop("Activity"),
    bookmarks=gettext_noop("Bookmarks"),
    teach=gettext_noop("Teach"),
    admin=gettext_noop("Admin"),
    sign_out=gettext_noop("Sign out"),
    sign_in=gettext_noop("Sign in"),
    sign_up=gettext_noop("Sign up"),
    site=gettext_noop("Site"),
)


@functools.lru_cache(maxsize=64)
def _fixed(language: str | None, prefix: str, urlconf: str | None) -> dict[str, str]:
    """The header's parts that are the same for everyone: its words in this language, the
    URLs as this configuration reverses them (the arguments are the cache's key)."""
    words = HEADER_WORDS.html()
    url = {
        name: escape(reverse(view))
        for name, view in (
            ("catalogue", "courses:catalogue"),
            ("my_courses", "learning:my_courses"),
            ("activity", "notifications:activity"),
            ("bookmarks", "people:bookmarks"),
            ("teach", "courses:teach"),
            ("admin", "admin:index"),
            ("profile", "accounts:profile"),
            ("signout", "accounts:signout"),
            ("signin", "accounts:signin"),
            ("signup", "accounts:signup"),
        )
    }
    return {
        "start": (
            '<header class="site-header"><div class="container site-header__inner">'
            f'<a class="brand" href="{url["catalogue"]}">{escape(settings.SITE_NAME)}</a>'
            f'<nav class="site-nav" aria-label="{words["site"]}"><ul>'
        ),
        "courses": f'<li><a href="{url["catalogue"]}">{words["courses"]}</a></li>',
        "my_courses": f'<li><a href="{url["my_courses"]}">{words["my_courses"]}</a></li>',
        "activity": words["activity"],
        "activity_url": url["activity"],
        "activity_path": reverse("notifications:activity"),
        "bookmarks": words["bookmarks"],
        "bookmarks_url": url["bookmarks"],
        "bookmarks_path": reverse("people:bookmarks"),
        "teach": f'<li><a href="{url["teach"]}">{words["teach"]}</a></li>',
        "teach_current": (
            f'<li><a href="{url["teach"]}" aria-current="page">{words["teach"]}</a></li>'
        ),
        "admin": f'<li><a href="{url["admin"]}">{words["admin"]}</a></li>',
        "profile_url": url["profile"],
        # {token} is put in per page: str.format, so braces in the words are doubled first.
        "sign_out": (
            f'<li><form method="post" action="{url["signout"]}" class="inline-form">'
            '<input type="hidden" name="csrfmiddlewaretoken" value="{token}">'
            f'<button type="submit" class="link-button">'
            f"{words['sign_out'].replace('{', '{{').replace('}', '}}')}</button></form></li>"
        ),
        "signin_url": url["signin"],
        "sign_in": words["sign_in"],
        "sign_up": f'<li><a class="nav-cta" href="{url["signup"]}">{words["sign_up"]}</a></li>',
    }


def _item(url: str, label: str, *, current: bool) -> str:
    """A navigation item: url and label escaped already."""
    return f'<li><a href="{url}"{' aria-current="page"' if current else ""}>{label}</a></li>'
