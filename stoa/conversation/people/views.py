"""One's bookmarks, and people's public profiles with following."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from stoa.accounts.models import User
from stoa.conversation.people import selectors, services
from stoa.lib.http import AuthenticatedHttpRequest
from stoa.lib.keyset import Cursor, cursor_from


@login_required
@never_cache
@require_GET
def bookmarks(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The comments one saved, in every course, the last saved first."""
    cursor = cursor_from(request.GET)
    page = selectors.saved_comments(user=request.user, cursor=cursor)
    context = {"saved": page.items, "next_cursor": page.next_cursor, "cursor": cursor}
    return render(request, "conversation/people/bookmarks.html", context)


@login_required
@require_POST
def remove_bookmark(request: AuthenticatedHttpRequest, comment_id: int) -> HttpResponse:
    """Takes a comment off one's bookmarks and returns to the same page of them."""
    if services.remove_bookmark(user=request.user, comment_id=comment_id):
        messages.success(request, _("Removed from your bookmarks."))
    url = reverse("people:bookmarks")
    if cursor := Cursor.parse(request.POST.get("after")):
        url += f"?after={cursor}"
    return redirect(url)


def _person(user_id: int) -> User:
    return get_object_or_404(User, pk=user_id, is_active=True)


@login_required
@never_cache
@require_GET
def profile(request: AuthenticatedHttpRequest, user_id: int) -> HttpResponse:
    """Someone's public profile, for signed-in people: name, bio, and their comments that the
    viewer may read, unless they keep those private."""
    viewer, person = request.user, _person(user_id)
    is_self = viewer.pk == person.pk
    cursor = cursor_from(request.GET, "before")
    context = {
        "person": person,
        "is_self": is_self,
        "is_following": not is_self and selectors.is_following(follower=viewer, followed=person),
        "page": selectors.profile_comments(viewer=viewer, person=person, cursor=cursor),
        "is_first_page": cursor is None,
    }
    return render(request, "conversation/people/profile.html", context)


def _set_following(request: AuthenticatedHttpRequest, user_id: int, *, following: bool) -> User:
    person = _person(user_id)
    if person.pk != request.user.pk:
        services.set_following(follower=request.user, followed=person, following=following)
    return person


@login_required
@require_POST
def follow(request: AuthenticatedHttpRequest, user_id: int) -> HttpResponse:
    person = _set_following(request, user_id, following=True)
    if person.pk != request.user.pk:
        messages.success(
            request,
            _("You follow %(name)s: their new comments show in your activity.")
            % {"name": person.public_name},
        )
    return redirect("people:profile", user_id=person.pk)


@login_required
@require_POST
def unfollow(request: AuthenticatedHttpRequest, user_id: int) -> HttpResponse:
    person = _set_following(request, user_id, following=False)
    messages.success(request, _("You no longer follow %(name)s.") % {"name": person.public_name})
    return redirect("people:profile", user_id=person.pk)
