from html import escape

from django.conf import settings
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from stoa.conversation.notifications.selectors import UnreadNotifications
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
        site_name = escape(settings.SITE_NAME)
        catalogue = reverse("courses:catalogue")
        items = [_link(catalogue, _("Courses"))]
        if user.is_authenticated:
            path = request.path
            activity, bookmarks = reverse("notifications:activity"), reverse("people:bookmarks")
            unread = self.unread
            activity_label = escape(_("Activity"))
            if unread.count:
                label = _("(%(count)s unread)") % {"count": unread.label}
                activity_label += f' <span class="nav-count">{escape(label)}</span>'
            items += [
                _link(reverse("learning:my_courses"), _("My courses")),
                _link(activity, activity_label, current=path == activity, markup=True),
                _link(bookmarks, _("Bookmarks"), current=path == bookmarks),
            ]
            if user.teaches or user.is_staff:
                match = request.resolver_match
                teaching = match is not None and match.url_name == "teach"
                items.append(_link(reverse("courses:teach"), _("Teach"), current=teaching))
            if user.is_staff:
                items.append(_link(reverse("admin:index"), _("Admin")))
            items += [
                _link(reverse("accounts:profile"), user.public_name),
                f'<li><form method="post" action="{reverse("accounts:signout")}" '
                'class="inline-form"><input type="hidden" name="csrfmiddlewaretoken" '
                f'value="{escape(get_token(request))}"><button type="submit" '
                f'class="link-button">{escape(_("Sign out"))}</button></form></li>',
            ]
        else:
            signin = reverse("accounts:signin")
            if request.path != "/":
                signin += "?" + urlencode({"next": request.get_full_path()})
            items += [
                _link(signin, _("Sign in")),
                f'<li><a class="nav-cta" href="{reverse("accounts:signup")}">'
                f"{escape(_('Sign up'))}</a></li>",
            ]
        return SafeString(
            '<header class="site-header"><div class="container site-header__inner">'
            f'<a class="brand" href="{catalogue}">{site_name}</a>'
            f'<nav class="site-nav" aria-label="{escape(_("Site"))}"><ul>{"".join(items)}'
            "</ul></nav></div></header>"
        )

    __str__ = __html__


def _link(url: str, label: str, *, current: bool = False, markup: bool = False) -> str:
    """A navigation item; label is text, or markup already escaped."""
    text = label if markup else escape(label)
    aria = ' aria-current="page"' if current else ""
    return f'<li><a href="{escape(url)}"{aria}>{text}</a></li>'
