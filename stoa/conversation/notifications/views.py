"""The activity page, opening a notification, one's bookmarks, and people's public profiles
with following."""

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from stoa.accounts.models import User
from stoa.conversation import notifications, selectors, services
from stoa.conversation.models import Notification


@login_required
@never_cache
def activity(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    page = notifications.activity_page(user=user, cursor=request.GET.get("before", ""))
    return render(
        request,
        "conversation/notifications_activity.html",
        {"page": page, "is_first_page": not request.GET.get("before")},
    )


@login_required
def open_notification(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Marks one notification read and goes to what it is about. Someone else's is not found."""
    notification = get_object_or_404(
        Notification.objects.select_related("comment__step__week__course"),
        pk=notification_id,
        recipient=request.user,
    )
    notifications.open_notification(notification=notification)
    if notification.comment is None:
        return redirect("notifications:activity")
    return redirect(notifications.comment_url(notification.comment))


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    marked = notifications.mark_all_read(user=cast(User, request.user))
    if marked:
        messages.success(request, "All your notifications are marked as read.")
    return redirect("notifications:activity")


@login_required
@never_cache
def bookmarks(request: HttpRequest) -> HttpResponse:
    """The comments one saved, in every course, the last saved first."""
    cursor = selectors.Cursor.parse(request.GET.get("after"))
    saved, next_cursor = selectors.saved_comments(user=cast(User, request.user), cursor=cursor)
    context = {"saved": saved, "next_cursor": next_cursor, "cursor": cursor}
    return render(request, "conversation/bookmarks.html", context)


@login_required
@require_POST
def remove_bookmark(request: HttpRequest, comment_id: int) -> HttpResponse:
    """Takes a comment off one's bookmarks and returns to the same page of them."""
    if services.remove_bookmark(user=cast(User, request.user), comment_id=comment_id):
        messages.success(request, "Removed from your bookmarks.")
    url = reverse("notifications:bookmarks")
    if cursor := selectors.Cursor.parse(request.POST.get("after")):
        url += f"?after={cursor}"
    return redirect(url)


def _person(user_id: int) -> User:
    return get_object_or_404(User, pk=user_id, is_active=True)


@login_required
@never_cache
def profile(request: HttpRequest, user_id: int) -> HttpResponse:
    """Someone's public profile, for signed-in people: name, bio, and their comments in the
    courses the viewer shares with them, unless they keep those private."""
    viewer, person = cast(User, request.user), _person(user_id)
    is_self = viewer.pk == person.pk
    context = {
        "person": person,
        "is_self": is_self,
        "is_following": not is_self
        and notifications.is_following(follower=viewer, followed=person),
        "page": notifications.profile_comments(
            viewer=viewer, person=person, cursor=request.GET.get("before", "")
        ),
        "is_first_page": not request.GET.get("before"),
    }
    return render(request, "conversation/profile_detail.html", context)


def _set_following(request: HttpRequest, user_id: int, *, following: bool) -> User:
    """Follows or unfollows through the conversation's one write path, toggle_follow, only
    when that changes something: a double submit leaves the first click's result."""
    viewer, person = cast(User, request.user), _person(user_id)
    if viewer.pk == person.pk:
        return person
    with transaction.atomic():
        if notifications.is_following(follower=viewer, followed=person) != following:
            services.toggle_follow(follower=viewer, followed=person)
    return person


@login_required
@require_POST
def follow(request: HttpRequest, user_id: int) -> HttpResponse:
    person = _set_following(request, user_id, following=True)
    if person.pk != request.user.pk:
        messages.success(
            request, f"You follow {person.display_name}: their new comments show in your activity."
        )
    return redirect("notifications:profile", user_id=person.pk)


@login_required
@require_POST
def unfollow(request: HttpRequest, user_id: int) -> HttpResponse:
    person = _set_following(request, user_id, following=False)
    messages.success(request, f"You no longer follow {person.display_name}.")
    return redirect("notifications:profile", user_id=person.pk)
