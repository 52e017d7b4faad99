"""Writes between people: following someone, and one's bookmarks. Each person's own rows;
from a comment's buttons they go through comments.services, which first checks the comment
may be responded to."""

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from stoa.accounts.models import User
from stoa.conversation.models import Bookmark, Comment, Follow, Like
from stoa.lib.refusals import NotAllowed, NotFound


def toggle_row(model: type[Like] | type[Bookmark] | type[Follow], **fields) -> int:
    """Deletes the row with these fields if there is one, else creates it: -1 when it
    deleted it, +1 when it created it, 0 when another tab created it at the same moment (the
    row is there, and counted by that tab's request), for the caller's counter."""
    removed, _count = model.objects.filter(**fields).delete()
    if removed:
        return -1
    try:
        with transaction.atomic():
            model.objects.create(**fields, created_at=timezone.now())
    except IntegrityError:
        return 0
    return +1


def toggle_saved(*, user: User, comment_id: int) -> bool:
    """Saves a comment to the user's bookmarks, or removes it, in the caller's transaction
    (comments.services.toggle_bookmark checks the comment first)."""
    change = toggle_row(Bookmark, user=user, comment_id=comment_id)
    _count_bookmarks(comment_id, change)
    return change >= 0


@transaction.atomic
def remove_bookmark(*, user: User, comment_id: int) -> bool:
    """Takes a comment off the user's own bookmarks; whether it was there. Twice is once.
    Anyone may tidy their own list, whatever became of the comment or the course."""
    removed, _count = Bookmark.objects.filter(user=user, comment_id=comment_id).delete()
    _count_bookmarks(comment_id, -removed)
    return bool(removed)


def _count_bookmarks(comment_id: int, change: int) -> None:
    if change:
        Comment.objects.filter(pk=comment_id).update(bookmark_count=F("bookmark_count") + change)


def _require_followable(*, follower: User, followed: User) -> None:
    if not followed.is_active:
        raise NotFound(_("No such person."))
    if follower.pk == followed.pk:
        raise NotAllowed(_("You can't follow yourself."))


@transaction.atomic
def toggle_follow(*, follower: User, followed: User) -> bool:
    """Follows someone, or stops; returns whether the follower follows them now."""
    _require_followable(follower=follower, followed=followed)
    return toggle_row(Follow, follower=follower, followed=followed) >= 0


@transaction.atomic
def set_following(*, follower: User, followed: User, following: bool) -> bool:
    """Follows or unfollows, only when that changes something: a double submit leaves the
    first click's result. Returns whether anything changed."""
    _require_followable(follower=follower, followed=followed)
    exists = Follow.objects.filter(follower=follower, followed=followed).exists()
    if exists == following:
        return False
    return toggle_row(Follow, follower=follower, followed=followed) != 0
