"""The conversation beside every step: comments and replies, likes, bookmarks, follows,
reports and moderation, notifications.

Comments belong to a step within one course run, so each cohort has its own conversation.
Counters (likes, replies, bookmarks) live on the comment and change in the same transaction
as the rows they count, so listing a conversation never counts rows.
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q

from stoa.courses.models import Course, CourseRun, Step


class CommentQuerySet(models.QuerySet):
    def visible(self) -> "CommentQuerySet":
        """What learners may see: not hidden by a moderator. Deleted comments stay (as a
        placeholder) while they have replies; see Comment.is_deleted."""
        return self.filter(hidden_at__isnull=True)


class CommentState:
    """What a comment's dates say of it: for Comment, and for the rows pages list
    (selectors.ListedComment)."""

    __slots__ = ()
    deleted_at: datetime.datetime | None
    hidden_at: datetime.datetime | None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None


class Comment(CommentState, models.Model):
    run = models.ForeignKey(CourseRun, on_delete=models.CASCADE, related_name="comments")
    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comments"
    )
    # One level of replies, as on the model platform: a reply's parent is never a reply.
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    body = models.TextField(max_length=5000)
    # Sanitised HTML rendered once at write time, so reading never runs Markdown.
    body_html = models.TextField()
    # The author's course-team role when they posted (a TeamRole value), or "" for learners;
    # drives the badge and the Educators filter without a join.
    team_role = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField()
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_reason = models.CharField(max_length=500, blank=True)
    like_count = models.PositiveIntegerField(default=0)
    # The replies learners see: neither deleted nor hidden (see services.count_reply).
    reply_count = models.PositiveIntegerField(default=0)
    # How many people saved it to their bookmarks.
    bookmark_count = models.PositiveIntegerField(default=0)
    # A random token from the form that posted it: a double submit finds the first comment.
    submission_token = models.CharField(max_length=64, blank=True)
    # The team's inbox (stoa.conversation.inbox): a learner's comment that starts a thread
    # waits for the team until a team member replies in it, someone marks it handled, or it
    # is hidden or deleted. Changed only by inbox.waiting's helpers, in the transaction of the
    # write that changes it, together with the step's WaitingCount.
    waiting = models.BooleanField(default=False, db_default=False)
    # Whether the text asks a question (inbox.waiting.asks_a_question), set when it is
    # posted or edited: questions come first in the inbox.
    is_question = models.BooleanField(default=False, db_default=False)
    # Pinned to the top of its step's conversation in its run by the team: one at a time.
    pinned_at = models.DateTimeField(null=True, blank=True)

    objects = CommentQuerySet.as_manager()

    class Meta:
        indexes = [
            # A step's threads (top-level comments) in one run, newest or most liked first.
            # Partial on parent IS NULL: PostgreSQL does not treat "parent IS NULL" as an
            # equality, so with parent as a column it cannot read the rest in order.
            models.Index(
                fields=["run", "step", "-created_at", "-id"],
                name="comment_thread_newest_idx",
                condition=Q(parent__isnull=True),
            ),
            models.Index(
                fields=["run", "step", "-like_count", "-id"],
                name="comment_thread_liked_idx",
                condition=Q(parent__isnull=True),
            ),
            models.Index(
                fields=["run", "step", "team_role", "-created_at", "-id"],
                name="comment_step_team_idx",
            ),
            # The Following filter: comments on a step by the people someone follows.
            models.Index(
                fields=["run", "step", "author", "-created_at", "-id"],
                name="comment_step_author_idx",
            ),
            models.Index(fields=["author", "-created_at", "-id"], name="comment_author_newest_idx"),
            models.Index(fields=["parent", "created_at", "id"], name="comment_replies_idx"),
            # The inbox: a run's waiting comments in its order (inbox.selectors.INBOX_ORDER),
            # all of them or one step's. Partial, so it holds only what waits.
            models.Index(
                fields=["run", "-is_question", "-like_count", "-reply_count", "created_at", "id"],
                name="comment_inbox_idx",
                condition=Q(waiting=True),
            ),
            models.Index(
                fields=[
                    *("run", "step", "-is_question", "-like_count", "-reply_count"),
                    *("created_at", "id"),
                ],
                name="comment_inbox_step_idx",
                condition=Q(waiting=True),
            ),
        ]
        constraints = [
            # One pinned comment per step and run: pinning another unpins it first.
            models.UniqueConstraint(
                fields=["run", "step"],
                condition=Q(pinned_at__isnull=False),
                name="comment_pinned_once",
            ),
            models.UniqueConstraint(
                fields=["author", "submission_token"],
                condition=~Q(submission_token=""),
                name="comment_submission_once",
            ),
        ]

    def __str__(self):
        return f"{self.author} on {self.step}: {self.body[:40]}"


class WaitingCount(models.Model):
    """How many comments wait for the team on a step in a run: kept by inbox.waiting in the
    same transaction as every change of Comment.waiting, so that the inbox's per-step counts
    read a row per step instead of counting comments."""

    run = models.ForeignKey(CourseRun, on_delete=models.CASCADE, related_name="+")
    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="+")
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "step"], name="waiting_count_once"),
        ]

    def __str__(self):
        return f"{self.count} waiting on {self.step_id} in {self.run_id}"


class CommentTally(models.Model):
    """How many comments and replies were posted on a step in a run, for the dashboard:
    counted by comments.services.post_comment in its transaction. What is later deleted or
    hidden stays counted: the figure is how much was said."""

    run = models.ForeignKey(CourseRun, on_delete=models.CASCADE, related_name="+")
    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="+")
    comments = models.IntegerField(default=0)
    replies = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "step"], name="comment_tally_once"),
        ]

    def __str__(self):
        return f"{self.comments} comments, {self.replies} replies on {self.step_id}"


class Like(models.Model):
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="likes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "comment"], name="like_once"),
        ]

    def __str__(self):
        return f"{self.user} likes {self.comment_id}"


class Bookmark(models.Model):
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="bookmarks")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bookmarks"
    )
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "comment"], name="bookmark_once"),
        ]
        indexes = [
            models.Index(fields=["user", "-created_at", "-id"], name="bookmark_user_newest_idx")
        ]

    def __str__(self):
        return f"{self.user} saved {self.comment_id}"


class Follow(models.Model):
    follower = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="following"
    )
    followed = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="followers"
    )
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["follower", "followed"], name="follow_once"),
            models.CheckConstraint(
                condition=~Q(follower=models.F("followed")), name="follow_not_self"
            ),
        ]

    def __str__(self):
        return f"{self.follower} follows {self.followed}"


class Report(models.Model):
    """A learner's report of a comment to the course team."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    reason = models.CharField(max_length=500)
    created_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["reporter", "comment"], name="report_once"),
        ]
        indexes = [models.Index(fields=["resolved_at", "created_at"], name="report_open_idx")]

    def __str__(self):
        return f"Report of {self.comment_id} by {self.reporter}"


class ModerationAction(models.Model):
    """The log of every moderation decision: who did what to which comment, and when."""

    class Kind(models.TextChoices):
        HIDE = "hide", "Hidden"
        RESTORE = "restore", "Restored"
        DISMISS = "dismiss", "Reports dismissed"

    comment = models.ForeignKey(
        Comment, on_delete=models.CASCADE, related_name="moderation_actions"
    )
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["comment", "-created_at"], name="moderation_comment_idx")]

    def __str__(self):
        return f"{self.moderator} {self.kind} {self.comment_id}"


class Notification(models.Model):
    class Kind(models.TextChoices):
        REPLY = "reply", "Reply to your comment"
        LIKE = "like", "Like on your comment"
        FOLLOWED_COMMENT = "followed", "New comment by someone you follow"
        MODERATION = "moderation", "Moderation decision on your comment"
        PEER_REVIEW = "peer-review", "Review of your work"
        CERTIFICATE = "certificate", "Certificate earned"
        ANNOUNCEMENT = "announcement", "Announcement from a course's team"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, related_name="+"
    )
    comment = models.ForeignKey(
        Comment, on_delete=models.CASCADE, null=True, related_name="notifications"
    )
    # What a notification without a comment is about: a step whose page shows it (a review
    # of one's peer-review work, a moderator's decision on it). A row, not a stored link, so
    # the link follows the course if its address changes.
    step = models.ForeignKey(
        Step, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # What an announcement's notification is about (its link is the announcement's course).
    announcement = models.ForeignKey(
        "Announcement", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    text = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_inbox_idx"),
            models.Index(
                fields=["recipient", "created_at"],
                name="notification_unread_idx",
                condition=Q(read_at__isnull=True),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.recipient}"


class Announcement(models.Model):
    """A message from a course's team to the active learners of one of its runs: an email to
    each (announcements.services sends them in batches) and an on-site notification.

    Sending starts at send_at (null: as soon as it is created). recipients is fixed when
    sending starts; delivered grows with each batch, in the batch's transaction, and
    last_enrolment_id is where the next batch starts, so a batch run twice sends nothing.

    An automatic announcement, "Week N is open", has no author and names its week in
    opens_week; the site writes it on the day the week opens (services.send_due_announcements).
    """

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="announcements")
    run = models.ForeignKey(CourseRun, on_delete=models.CASCADE, related_name="announcements")
    # Null for an automatic announcement: the list says "Automatic".
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The week whose opening it announces (1 for a run that opens every week at once): the
    # constraint below is what makes it once per run and week, whichever server writes it.
    opens_week = models.PositiveSmallIntegerField(null=True, blank=True)
    subject = models.CharField(max_length=200)
    body = models.TextField(max_length=20000)
    # Rendered and sanitised once, when written (stoa.lib.markdown): pages and emails show it.
    body_html = models.TextField()
    send_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # When the last batch ran: send_due_announcements restarts a send that has gone quiet.
    batch_at = models.DateTimeField(null=True, blank=True)
    recipients = models.PositiveIntegerField(default=0)
    delivered = models.PositiveIntegerField(default=0)
    last_enrolment_id = models.BigIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["course", "-created_at", "-id"], name="announcement_course_idx"),
            models.Index(
                fields=["send_at"],
                name="announcement_pending_idx",
                condition=Q(finished_at__isnull=True),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "opens_week"],
                condition=Q(opens_week__isnull=False),
                name="announcement_week_open_once",
            ),
        ]

    def __str__(self):
        return self.subject

    @property
    def is_automatic(self) -> bool:
        return self.opens_week is not None

    @property
    def status(self) -> str:
        if self.finished_at is not None:
            return "sent"
        if self.started_at is not None:
            return "sending"
        return "scheduled"


class CourseEmailOptOut(models.Model):
    """A learner who wants no announcement emails (nor their notifications) from a course."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="course_email_opt_out_once"),
        ]

    def __str__(self):
        return f"{self.user} opted out of {self.course}"
