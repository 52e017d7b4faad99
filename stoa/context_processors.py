from html import escape
from urllib.parse import quote

from django.conf import settings
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from stoa.conversation.notifications.selectors import UnreadNotifications
from stoa.lib.i18n import Words
from stoa.lib.urls import reverse


def site(request: HttpRequest) -> dict:
    # The unread count is lazy: counted once, and only where a page shows it.
    unread = UnreadNotifications(request.user)
    return {
        "site_name": settings.SITE_NAME,
        "site_header": SiteHeader(request, unread),
        "unread_notifications": unread,
    }


class SiteHeader:
    """The header of every page: the site's name and navigation, for a visitor or for the
    person signed in. Built here rather than in base.html, since every page pays for it: as a
    template it cost a quarter of a bare view (its nodes walked on every render of a page that
    extends base.html, each URL and name looked up through the template engine). Text from
    people (the display name) and from the request (the path) is escaped here; the rest is
    fixed words and URLs reversed from fixed names."""

    def __init__(self, request: HttpRequest, unread: UnreadNotifications) -> None:
        self.request = request
        self.unread = unread

    def __html__(self) -> SafeString:
        request = self.request
        user = request.user
        labels = HEADER_WORDS.html()
        site_name = escape(settings.SITE_NAME)
        catalogue = reverse("courses:catalogue")
        items = [_link(catalogue, labels["courses"])]
        if user.is_authenticated:
            path = request.path
            activity, bookmarks = reverse("notifications:activity"), reverse("people:bookmarks")
            unread = self.unread
            activity_label = labels["activity"]
            if unread.count:
                label = _("(%(count)s unread)") % {"count": unread.label}
                activity_label += f' <span class="nav-count">{escape(label)}</span>'
            items += [
                _link(reverse("learning:my_courses"), labels["my_courses"]),
                _link(activity, activity_label, current=path == activity),
                _link(bookmarks, labels["bookmarks"], current=path == bookmarks),
            ]
            if user.teaches or user.is_staff:
                match = request.resolver_match
                teaching = match is not None and match.url_name == "teach"
                items.append(_link(reverse("courses:teach"), labels["teach"], current=teaching))
            if user.is_staff:
                items.append(_link(reverse("admin:index"), labels["admin"]))
            items += [
                _link(reverse("accounts:profile"), escape(user.public_name)),
                f'<li><form method="post" action="{reverse("accounts:signout")}" '
                'class="inline-form"><input type="hidden" name="csrfmiddlewaretoken" '
                f'value="{escape(get_token(request))}"><button type="submit" '
                f'class="link-button">{labels["sign_out"]}</button></form></li>',
            ]
        else:
            signin = reverse("accounts:signin")
            if request.path != "/":
                signin += "?next=" + quote(request.get_full_path(), safe="/")
            items += [
                _link(signin, labels["sign_in"]),
                f'<li><a class="nav-cta" href="{reverse("accounts:signup")}">'
                f"{labels['sign_up']}</a></li>",
            ]
        return SafeString(
            '<header class="site-header"><div class="container site-header__inner">'
            f'<a class="brand" href="{catalogue}">{site_name}</a>'
            f'<nav class="site-nav" aria-label="{labels["site"]}"><ul>{"".join(items)}'
            "</ul></nav></div></header>"
        )

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


def _link(url: str, label: str, *, current: bool = False) -> str:
    """A navigation item; label is markup, its text escaped already."""
    aria = ' aria-current="page"' if current else ""
    return f'<li><a href="{escape(url)}"{aria}>{label}</a></li>'
