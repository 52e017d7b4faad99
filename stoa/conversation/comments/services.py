"""Writes of comments: posting and replying, editing, deleting, liking, and following a
comment's author. Each checks who may make it (stoa.conversation.rules) and raises a Refused
with a message for them; each is atomic; counters change in the same transaction as the rows
they count; the people told of a write are told by rows written in that transaction too,
except the fan-out to followers, which runs after commit because it may be large.

Callers pass the person and the rows; the rules are checked here from the database, so a
page, a command, a task and the API get the same answer.
"""

from typing import cast

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from stoa.accounts.limits import Limit
from stoa.accounts.models import User
from stoa.conversation import rules
from stoa.conversation.inbox import waiting
from stoa.conversation.models import Comment, CommentTally, Like, Notification
from stoa.conversation.notifications.services import notify, notify_followers
from stoa.conversation.people.services import toggle_follow, toggle_row, toggle_saved
from stoa.conversation.rules import EDIT_WINDOW, Viewer
from stoa.courses.models import CourseRun, CourseTeamMember, Step
from stoa.lib import tally
from stoa.lib.markdown import render_comment_markdown
from stoa.lib.refusals import Invalid, NotAllowed, NotFound, TooMany

MAX_LENGTH = 5000
POSTS_PER_MINUTE = Limit("comment-minute", limit=10, window_seconds=60)
POSTS_PER_DAY = Limit("comment-day", limit=200, window_seconds=24 * 60 * 60)


def check_posting_rate(*, author: User) -> None:
    """Counts one comment against the author's allowance; TooMany when it is used up."""
    for limit, what in ((POSTS_PER_MINUTE, _("a minute")), (POSTS_PER_DAY, _("a day"))):
        result = limit.hit(str(author.pk))
        if not result.allowed:
            minutes = result.retry_after_minutes
            wait = ngettext("about a minute", "about %(count)d minutes", minutes) % {
                "count": minutes
            }
            message = _(
                "You have posted %(limit)d comments in %(what)s, the most we allow. "
                "Your text is kept below: post it again in %(wait)s."
            ) % {"limit": limit.limit, "what": what, "wait": wait}
            raise TooMany(message, retry_after=result.retry_after)


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


def clean_text(text: str) -> str:
    text = text.strip()
    if not text:
        raise Invalid(_("Write something before posting."))
    if len(text) > MAX_LENGTH:
        raise Invalid(_("Comments can be up to %(max)s characters.") % {"max": f"{MAX_LENGTH:,}"})
    return text


def _participant(*, user: User, run: CourseRun, step: Step) -> Viewer:
    """The user's place in the run's conversation on this step, if they may take part."""
    viewer = rules.viewer_in(user=user, run=run)
    rules.require_part(viewer)
    if step.week.course_id != run.course_id or not rules.has_conversation(step):
        raise NotFound(_("No conversation on this step."))
    rules.require_week_open(viewer, step.week.number)
    return viewer


def _responder(*, user: User, comment: Comment) -> Viewer:
    """The user's place in the comment's conversation, if they may respond to it there."""
    viewer = _participant(user=user, run=comment.run, step=comment.step)
    rules.require_visible(viewer, comment)
    if not rules.is_live(comment):
        raise NotAllowed(_("This comment can no longer be liked, saved or replied to."))
    return viewer


def post_comment(
    *,
    author: User,
    step: Step,
    run: CourseRun,
    text: str,
    parent: Comment | None = None,
    submission_token: str = "",
) -> Comment:
    """Posts a comment, or a reply when `parent` is given, in the run's conversation on the
    step. A reply to a reply joins its parent's thread: there is one level of replies. The
    thread's author hears of a reply, and so does the author of the reply answered.

    The same submission token twice from one author returns the comment stored first, and
    counts once against the posting limit. A learner's new thread waits for the team in
    their inbox, and a reply from the team takes its thread out (inbox.waiting).

    The checks and the comment's rendering come first, outside the transaction: the writes
    alone hold it, since on SQLite every other writer waits for them.
    """
    viewer = _participant(user=author, run=run, step=step)
    text = clean_text(text)
    replied_to = parent
    if parent is not None:
        if parent.run_id != run.pk or parent.step_id != step.pk:
            raise NotFound(_("A reply belongs to the same step and run as its comment."))
        _responder(user=author, comment=parent)
        if parent.parent_id is not None:
            parent = _thread_of(parent)
            if not rules.is_live(parent):
                raise NotAllowed(_("This comment can no longer be replied to."))
    if submission_token and (earlier := _submitted(author, submission_token)):
        return earlier
    check_posting_rate(author=author)
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
        waiting=waiting.waits_when_posted(parent=parent, by_team=viewer.is_team),
        is_question=waiting.asks_a_question(text),
    )
    with transaction.atomic():
        try:
            with transaction.atomic():
                comment.save()
        except IntegrityError:  # the same form, submitted twice at the same moment
            earlier = _submitted(author, submission_token) if submission_token else None
            if earlier is None:
                raise
            return earlier
        if parent is not None and viewer.is_team:
            waiting.stop_waiting(parent)
        if parent is not None:
            count_reply(comment, +1)
            _notify_reply(reply=comment, thread=parent, replied_to=replied_to)
        notify_followers(comment=comment)  # queued to run once this transaction commits
        waiting.count_new(comment)
        # The step's one tally row last: locked until the commit.
        tally.add(
            CommentTally,
            {"run": run, "step": step},
            **({"replies": 1} if parent is not None else {"comments": 1}),
        )
    return comment


def _thread_of(reply: Comment) -> Comment:
    parent_id = cast(int, reply.parent_id)  # a reply has a parent
    return Comment.objects.select_related("author", "run__course", "step__week").get(pk=parent_id)


def _notify_reply(*, reply: Comment, thread: Comment, replied_to: Comment | None) -> None:
    recipients = [thread.author]
    if replied_to is not None and replied_to.author_id != thread.author_id:
        recipients.append(replied_to.author)
    for recipient in recipients:
        notify(recipient=recipient, kind=Notification.Kind.REPLY, actor=reply.author, comment=reply)


def _submitted(author: User, token: str) -> Comment | None:
    return Comment.objects.filter(author=author, submission_token=token).first()


def edit_refusal(comment: rules.CommentFacts) -> str:
    """Why a comment of one's own can no longer be edited."""
    if not rules.is_live(comment):
        return _("This comment can no longer be edited.")
    minutes = int(EDIT_WINDOW.total_seconds() // 60)
    return _(
        "Comments can be edited for %(minutes)d minutes after posting, and that time has "
        "passed. You can delete it and post again."
    ) % {"minutes": minutes}


def require_editable(*, user: User, comment: Comment) -> None:
    """Refuses unless the user may edit the comment now: their own, live, within the edit
    window, in a conversation they take part in. For the edit form, before it is shown."""
    viewer = _participant(user=user, run=comment.run, step=comment.step)
    rules.require_visible(viewer, comment)
    if not rules.is_own(viewer, comment):
        raise NotAllowed(_("You can only edit your own comments."))
    if not rules.can_edit(viewer, comment):
        raise NotAllowed(edit_refusal(comment))


@transaction.atomic
def edit_comment(*, comment: Comment, editor: User, text: str) -> Comment:
    """Changes one's own comment within the edit window; marks it edited."""
    require_editable(user=editor, comment=comment)
    comment.body = clean_text(text)
    comment.body_html = render_comment_markdown(comment.body)
    comment.edited_at = timezone.now()
    comment.is_question = waiting.asks_a_question(comment.body)
    comment.save(update_fields=["body", "body_html", "edited_at", "is_question"])
    return comment


def require_deletable(*, user: User, comment: Comment) -> None:
    viewer = _participant(user=user, run=comment.run, step=comment.step)
    rules.require_visible(viewer, comment)
    if not rules.is_own(viewer, comment):
        raise NotAllowed(_("You can only delete your own comments."))


@transaction.atomic
def delete_comment(*, comment: Comment, user: User) -> None:
    """Deletes one's own comment. Twice is once.

    The row stays, emptied and marked deleted: a comment with replies shows as "This comment
    was deleted" so its thread stays readable, and one without is no longer listed. Keeping the
    row keeps its reports and moderation log. A reply's deletion lowers its parent's count
    (unless a moderator's hiding did already). A deleted comment no longer waits for the team
    nor stays pinned.
    """
    require_deletable(user=user, comment=comment)
    current = locked(comment)
    if not current.is_deleted:
        Comment.objects.filter(pk=comment.pk).update(
            deleted_at=timezone.now(), body="", body_html="", edited_at=None, pinned_at=None
        )
        waiting.stop_waiting(current)
        if not current.is_hidden:
            count_reply(current, -1)
    comment.refresh_from_db()


def locked(comment: Comment) -> Comment:
    """The comment's state as it is now, locked for the rest of the transaction where the
    database can (on SQLite, write transactions take turns anyway): for changes that depend on
    it, such as whether a reply still counts in its thread."""
    return (
        Comment.objects.select_for_update()
        .only("parent_id", "deleted_at", "hidden_at", "run_id", "step_id", "team_role")
        .get(pk=comment.pk)
    )


def count_reply(reply: Comment, change: int) -> None:
    """Counts a reply in or out of its thread's reply_count, in the caller's transaction."""
    if reply.parent_id is not None:
        Comment.objects.filter(pk=reply.parent_id).update(reply_count=F("reply_count") + change)


@transaction.atomic
def toggle_like(*, user: User, comment: Comment) -> bool:
    """Likes the comment, or takes the like back; returns whether it is liked now."""
    _responder(user=user, comment=comment)
    if comment.author_id == user.pk:
        raise NotAllowed(_("You can't like your own comment."))
    change = toggle_row(Like, user=user, comment=comment)
    if change:
        Comment.objects.filter(pk=comment.pk).update(like_count=F("like_count") + change)
    if change > 0:
        # notify() tells the author of the first like by each person only.
        notify(recipient=comment.author, kind=Notification.Kind.LIKE, actor=user, comment=comment)
    return change >= 0


@transaction.atomic
def toggle_bookmark(*, user: User, comment: Comment) -> bool:
    """Saves the comment to the user's bookmarks, or removes it; returns whether it is saved."""
    _responder(user=user, comment=comment)
    return toggle_saved(user=user, comment_id=comment.pk)


@transaction.atomic
def follow_author(*, user: User, comment: Comment) -> bool:
    """Follows the comment's author, or stops; returns whether the user follows them now."""
    _responder(user=user, comment=comment)
    return toggle_follow(follower=user, followed=comment.author)
