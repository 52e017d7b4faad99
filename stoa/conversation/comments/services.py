"""Writes of the conversation: comments and replies, edits, deletions, likes, bookmarks and
follows. Each is atomic; counters change in the same transaction as the rows they count, and
the people told about a write are told by rows written in that transaction too, except the
fan-out to followers, which notifications queues to run after commit because it may be large.

Who may take part (an enrolled learner or the course team, on an open week) is the caller's
check; these functions check what only the rows can tell: authorship, the edit window, one
like per person.
"""

import datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from stoa.accounts.limits import Limit, Refusal
from stoa.accounts.models import User
from stoa.conversation.models import Bookmark, Comment, Follow, Like, Notification
from stoa.conversation.notifications import notify, notify_followers
from stoa.courses.models import CourseRun, CourseTeamMember, Step
from stoa.lib.markdown import render_comment_markdown

MAX_LENGTH = 5000
EDIT_WINDOW = datetime.timedelta(minutes=15)
POSTS_PER_MINUTE = Limit("comment-minute", limit=10, window_seconds=60)
POSTS_PER_DAY = Limit("comment-day", limit=200, window_seconds=24 * 60 * 60)


class ConversationError(Exception):
    """A write the rows refuse; the message is for the person who tried."""


class NotAuthor(ConversationError):
    pass


def check_posting_rate(*, author: User) -> Refusal | None:
    """Counts one comment against the author's allowance; a Refusal when it is used up.

    Kept apart from post_comment so that imports, data generators and tests can write
    comments freely; pages and the API call it before posting."""
    for limit, what in ((POSTS_PER_MINUTE, "a minute"), (POSTS_PER_DAY, "a day")):
        result = limit.hit(str(author.pk))
        if not result.allowed:
            minutes = result.retry_after_minutes
            wait = "about a minute" if minutes == 1 else f"about {minutes} minutes"
            message = (
                f"You have posted {limit.limit} comments in {what}, the most we allow. "
                f"Your text is kept below: post it again in {wait}."
            )
            return Refusal(message, result.retry_after)
    return None


def team_role_of(*, user: User, run: CourseRun) -> str:
    """The user's role on the run's course team, or "" for learners (and staff who are not on
    the team: they moderate, but their comments carry no badge)."""
    role = (
        CourseTeamMember.objects.filter(course_id=run.course_id, user=user)
        .order_by("position")
        .values_list("role", flat=True)
        .first()
    )
    return role or ""


def _clean(text: str) -> str:
    text = text.strip()
    if not text:
        raise ConversationError("Write something before posting.")
    if len(text) > MAX_LENGTH:
        raise ConversationError(f"Comments can be up to {MAX_LENGTH:,} characters.")
    return text


@transaction.atomic
def post_comment(
    *,
    author: User,
    step: Step,
    run: CourseRun,
    text: str,
    parent: Comment | None = None,
    submission_token: str = "",
) -> Comment:
    """Posts a comment, or a reply when `parent` is given. A reply to a reply joins its
    parent's thread: there is one level of replies. The thread's author hears of a reply, and
    so does the author of the reply answered.

    The same submission token twice from one author returns the comment stored first.
    """
    text = _clean(text)
    replied_to = parent
    if parent is not None and parent.parent_id is not None:
        parent = Comment.objects.select_related("author").get(pk=parent.parent_id)
    if parent is not None and (parent.run_id != run.pk or parent.step_id != step.pk):
        raise ConversationError("A reply belongs to the same step and run as its comment.")
    if submission_token and (earlier := _submitted(author, submission_token)):
        return earlier
    comment = Comment(
        run=run,
        step=step,
        author=author,
        parent=parent,
        body=text,
        body_html=render_comment_markdown(text),
        team_role=team_role_of(user=author, run=run),
        created_at=timezone.now(),
        submission_token=submission_token,
    )
    try:
        with transaction.atomic():
            comment.save()
    except IntegrityError:  # the same form, submitted twice at the same moment
        earlier = _submitted(author, submission_token) if submission_token else None
        if earlier is None:
            raise
        return earlier
    if parent is not None:
        count_reply(comment, +1)
        _notify_reply(reply=comment, thread=parent, replied_to=replied_to)
    notify_followers(comment=comment)  # queued to run once this transaction commits
    return comment


def _notify_reply(*, reply: Comment, thread: Comment, replied_to: Comment | None) -> None:
    recipients = [thread.author]
    if replied_to is not None and replied_to.author_id != thread.author_id:
        recipients.append(replied_to.author)
    for recipient in recipients:
        notify(recipient=recipient, kind=Notification.Kind.REPLY, actor=reply.author, comment=reply)


def _submitted(author: User, token: str) -> Comment | None:
    return Comment.objects.filter(author=author, submission_token=token).first()


def edit_window_open(posted_at: datetime.datetime, *, now: datetime.datetime | None = None) -> bool:
    return (now or timezone.now()) - posted_at < EDIT_WINDOW


@transaction.atomic
def edit_comment(*, comment: Comment, editor: User, text: str) -> Comment:
    """Changes the text of one's own comment within the edit window; marks it edited."""
    if comment.author_id != editor.pk:
        raise NotAuthor("You can only edit your own comments.")
    if comment.is_deleted or comment.is_hidden:
        raise ConversationError("This comment can no longer be edited.")
    if not edit_window_open(comment.created_at):
        minutes = int(EDIT_WINDOW.total_seconds() // 60)
        raise ConversationError(
            f"Comments can be edited for {minutes} minutes after posting, and that time has "
            "passed. You can delete it and post again."
        )
    comment.body = _clean(text)
    comment.body_html = render_comment_markdown(comment.body)
    comment.edited_at = timezone.now()
    comment.save(update_fields=["body", "body_html", "edited_at"])
    return comment


@transaction.atomic
def delete_comment(*, comment: Comment, user: User) -> None:
    """Deletes one's own comment.

    The row stays, emptied and marked deleted: a comment with replies shows as "This comment
    was deleted" so its thread stays readable, and one without is no longer listed. Keeping the
    row keeps its reports and moderation log. A reply's deletion lowers its parent's count
    (unless a moderator's hiding did already).
    """
    if comment.author_id != user.pk:
        raise NotAuthor("You can only delete your own comments.")
    current = locked(comment)
    if not current.is_deleted:
        Comment.objects.filter(pk=comment.pk).update(
            deleted_at=timezone.now(), body="", body_html="", edited_at=None
        )
        if not current.is_hidden:
            count_reply(current, -1)
    comment.refresh_from_db()


def locked(comment: Comment) -> Comment:
    """The comment's state as it is now, locked for the rest of the transaction where the
    database can (on SQLite, write transactions take turns anyway): for changes that depend on
    it, such as whether a reply still counts in its thread."""
    return (
        Comment.objects.select_for_update()
        .only("parent_id", "deleted_at", "hidden_at")
        .get(pk=comment.pk)
    )


def count_reply(reply: Comment, change: int) -> None:
    """Counts a reply in or out of its thread's reply_count, in the caller's transaction."""
    if reply.parent_id is not None:
        Comment.objects.filter(pk=reply.parent_id).update(reply_count=F("reply_count") + change)


@transaction.atomic
def toggle_like(*, user: User, comment: Comment) -> bool:
    """Likes the comment, or takes the like back; returns whether it is liked now."""
    if comment.author_id == user.pk:
        raise ConversationError("You can't like your own comment.")
    change = _toggle(Like, user=user, comment=comment)
    if change:
        Comment.objects.filter(pk=comment.pk).update(like_count=F("like_count") + change)
    if change > 0:
        # notify() tells the author of the first like by each person only.
        notify(recipient=comment.author, kind=Notification.Kind.LIKE, actor=user, comment=comment)
    return change >= 0


@transaction.atomic
def toggle_bookmark(*, user: User, comment: Comment) -> bool:
    """Saves the comment to the user's bookmarks, or removes it; returns whether it is saved."""
    change = _toggle(Bookmark, user=user, comment=comment)
    _count_bookmarks(comment.pk, change)
    return change >= 0


@transaction.atomic
def remove_bookmark(*, user: User, comment_id: int) -> bool:
    """Takes a comment off the user's bookmarks; whether it was there. Twice is once."""
    removed, _ = Bookmark.objects.filter(user=user, comment_id=comment_id).delete()
    _count_bookmarks(comment_id, -removed)
    return bool(removed)


def _count_bookmarks(comment_id: int, change: int) -> None:
    if change:
        Comment.objects.filter(pk=comment_id).update(bookmark_count=F("bookmark_count") + change)


@transaction.atomic
def toggle_follow(*, follower: User, followed: User) -> bool:
    """Follows someone, or stops; returns whether the follower follows them now."""
    if follower.pk == followed.pk:
        raise ConversationError("You can't follow yourself.")
    return _toggle(Follow, follower=follower, followed=followed) >= 0


def _toggle(model: type[Like] | type[Bookmark] | type[Follow], **fields) -> int:
    """Deletes the row with these fields if there is one, else creates it: -1 when it
    deleted it, +1 when it created it, 0 when another tab created it at the same moment (the
    row is there, and counted by that tab's request), for the caller's counter."""
    removed, _ = model.objects.filter(**fields).delete()
    if removed:
        return -1
    try:
        with transaction.atomic():
            model.objects.create(**fields, created_at=timezone.now())
    except IntegrityError:
        return 0
    return +1
