"""Reads about people: a person's comments on their profile, one's bookmarks, following.
Both lists show only what the viewer may read (rules.readable_comments)."""

from dataclasses import dataclass

from django.urls import reverse

from stoa.accounts.models import User
from stoa.conversation.models import Bookmark, Comment, Follow
from stoa.conversation.rules import readable_comments
from stoa.lib.dates import ago
from stoa.lib.keyset import Cursor, Page, newest_first

PAGE_SIZE = 25


def is_following(*, follower: User, followed: User) -> bool:
    return Follow.objects.filter(follower=follower, followed=followed).exists()


def profile_comments(*, viewer: User, person: User, cursor: Cursor | None = None) -> Page | None:
    """A page of the person's comments that the viewer may read, newest first; hidden ones
    are left out even for the team, as a profile is no place for them. None when the person
    keeps their comments private (people always see their own)."""
    is_self = viewer.pk == person.pk
    if not person.show_comments_on_profile and not is_self:
        return None
    comments = Comment.objects.filter(
        author=person, hidden_at__isnull=True, deleted_at__isnull=True
    ).select_related("step__week__course")
    if not is_self:
        comments = comments.filter(readable_comments(viewer))
    return newest_first(comments, cursor, PAGE_SIZE)


@dataclass
class SavedComment:
    """One of a person's bookmarks, as their bookmarks page shows it."""

    bookmark: Bookmark  # with its comment, the comment's author and step, week and course
    is_readable: bool  # whether the person may still read the comment: see readable_comments

    @property
    def comment(self) -> Comment:
        return self.bookmark.comment

    @property
    def url(self) -> str:
        """The comment's own page (a reply's is its thread's, at the reply)."""
        step = self.comment.step
        place = [step.week.course.slug, step.week.number, step.position, self.comment.pk]
        return reverse("comments:comment", args=place)

    @property
    def saved_ago(self) -> str:
        return ago(self.bookmark.created_at)


def saved_comments(*, user: User, cursor: Cursor | None = None, size: int = PAGE_SIZE) -> Page:
    """A page of the person's bookmarks in every course, the last saved first: one query on
    their bookmarks' index, and one to ask which of the page's comments they may still read."""
    saved = Bookmark.objects.filter(user=user).select_related(
        "comment__author", "comment__step__week__course"
    )
    page = newest_first(saved, cursor, size)
    ids = [bookmark.comment_id for bookmark in page.items]
    readable = set(
        Comment.objects.filter(readable_comments(user), pk__in=ids).values_list("pk", flat=True)
    )
    page.items = [SavedComment(row, row.comment_id in readable) for row in page.items]
    return page
