"""Reads of the conversation shared by pages and the API.

A page of the conversation runs at most five queries whatever the number of comments on
the step: the page's comments (keyset pagination on an index, never OFFSET or COUNT), the
first replies of those that have any in one query (a few indexed subqueries per comment),
then what the viewer did to them (likes, bookmarks, follows) in one query each.
"""

import datetime
from dataclasses import dataclass, field
from functools import cached_property
from typing import cast

from django.contrib.auth.models import AnonymousUser
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from stoa.accounts.models import User, public_name
from stoa.conversation import rules
from stoa.conversation.models import Bookmark, Comment, CommentState, Follow, Like
from stoa.conversation.rules import Viewer
from stoa.courses.models import CourseRun, Step, TeamRole
from stoa.lib.dates import ago
from stoa.lib.keyset import Cursor, after_ascending, after_descending
from stoa.lib.prepared import PreparedQuery
from stoa.lib.refusals import NotFound

PAGE_SIZE = 25
REPLIES_SHOWN = 3  # under each comment on the step page; the rest behind "Show all"
REPLIES_PAGE_SIZE = 50
ROLE_LABELS = dict(TeamRole.choices)


class Filter:
    """The ?filter= values of a step's conversation, in the order they are offered."""

    ALL = "all"
    LIKED = "liked"
    FOLLOWING = "following"
    EDUCATORS = "educators"
    MINE = "mine"
    BOOKMARKS = "bookmarks"

    LABELS = {
        ALL: "All",
        LIKED: "Most liked",
        FOLLOWING: "Following",
        EDUCATORS: "Educators",
        MINE: "My comments",
        BOOKMARKS: "Bookmarks",
    }
    # Filters about the viewer's own activity; offered to people who take part.
    PERSONAL = {FOLLOWING, MINE, BOOKMARKS}
    # These list matching comments and replies alike, each on its own, without threads.
    FLAT = {FOLLOWING, EDUCATORS, MINE, BOOKMARKS}

    @classmethod
    def parse(cls, value: str | None, *, personal: bool) -> str:
        if value not in cls.LABELS or (value in cls.PERSONAL and not personal):
            return cls.ALL
        return value


@dataclass(slots=True)
class ListedComment(CommentState):
    """A comment as pages show it: what showing it needs, read with values(). Model instances
    with their authors cost four times as much to load, and a page lists up to a hundred
    comments. For reading only: writes go through the Comment (comment_for)."""

    pk: int
    parent_id: int | None
    author_id: int
    author_name: str
    body_html: str  # sanitised when written
    team_role: str
    like_count: int
    reply_count: int
    created_at: datetime.datetime
    edited_at: datetime.datetime | None
    deleted_at: datetime.datetime | None
    hidden_at: datetime.datetime | None
    hidden_reason: str
    # In the lists of comments shown away from their thread; None for threads.
    parent_author_name: str | None = None
    pinned_at: datetime.datetime | None = None

    @classmethod
    def of(cls, comment: Comment) -> "ListedComment":
        """The same for a Comment, with its author loaded."""
        return cls(
            **{name: getattr(comment, name) for name in LISTED_COLUMNS},
            author_name=comment.author.public_name,
        )


# What values() reads for a ListedComment, besides the names.
LISTED_COLUMNS = (
    *("pk", "parent_id", "author_id", "body_html", "team_role", "like_count", "reply_count"),
    *("created_at", "edited_at", "deleted_at", "hidden_at", "hidden_reason", "pinned_at"),
)


@dataclass
class ShownComment:
    """A comment as one viewer sees it, with what they may do to it. Rendering asks the
    same few questions of it many times, so their answers are kept."""

    comment: ListedComment
    viewer: Viewer
    liked: bool = False
    bookmarked: bool = False
    follows_author: bool = False
    replies: list["ShownComment"] = field(default_factory=list)
    more_replies: bool = False  # more visible replies than those in `replies`
    replies_cursor: Cursor | None = None  # where the next page of replies starts
    # A reply just posted that is not among the first replies shown: it goes after them.
    later_replies: list["ShownComment"] = field(default_factory=list)
    html: str = ""  # the comment rendered for this viewer, by rendering.render_comments
    thread_html: str = ""  # with its replies, as an item of the conversation's list

    @classmethod
    def of(cls, comment: Comment, viewer: Viewer) -> "ShownComment":
        return cls(ListedComment.of(comment), viewer)

    @property
    def pk(self) -> int:
        return self.comment.pk

    @cached_property
    def key(self) -> str:
        """The id as text, for templates: a number would be localized at every use, and a page
        uses each comment's id a dozen times."""
        return str(self.comment.pk)

    @cached_property
    def thread_key(self) -> str:
        """The id of the thread this comment is in: its parent's, or its own."""
        return str(self.comment.parent_id or self.comment.pk)

    @cached_property
    def is_mine(self) -> bool:
        return self.comment.author_id == self.viewer.user_id

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.comment.team_role, "")

    @property
    def posted_ago(self) -> str:
        return ago(self.comment.created_at)

    @cached_property
    def is_live(self) -> bool:
        """Neither deleted nor hidden: something people may respond to."""
        return rules.is_live(self.comment)

    @cached_property
    def can_respond(self) -> bool:
        return rules.can_respond(self.viewer, self.comment)

    @property
    def can_like(self) -> bool:
        return rules.can_like(self.viewer, self.comment)

    @property
    def can_follow(self) -> bool:
        return rules.can_follow_author(self.viewer, self.comment)

    @property
    def can_report(self) -> bool:
        return rules.can_report(self.viewer, self.comment)

    @property
    def can_edit(self) -> bool:
        return rules.can_edit(self.viewer, self.comment)

    @property
    def can_delete(self) -> bool:
        return rules.can_delete(self.viewer, self.comment)

    @property
    def shows_hidden_reason(self) -> bool:
        return self.comment.is_hidden and self.is_mine


@dataclass
class ConversationPage:
    items: list[ShownComment]
    filter: str
    next_cursor: Cursor | None

    @property
    def is_flat(self) -> bool:
        return self.filter in Filter.FLAT


def _listed(viewer: Viewer) -> Q:
    # A deleted comment stays as a placeholder while it has replies.
    return rules.visible_comments(viewer) & (Q(deleted_at__isnull=True) | Q(reply_count__gt=0))


def _filtered(comments: QuerySet[Comment], chosen: str, viewer: Viewer) -> QuerySet[Comment]:
    # Used by the personal filters only, which Filter.parse offers only to people signed in.
    user_id = cast(int, viewer.user.pk)
    if chosen in (Filter.ALL, Filter.LIKED):
        comments = comments.filter(parent__isnull=True)
        if chosen == Filter.LIKED:
            comments = comments.filter(deleted_at__isnull=True)
        return comments
    comments = comments.filter(deleted_at__isnull=True)
    if chosen == Filter.EDUCATORS:
        # "Greater than empty" rather than "not empty", so the team index is a range scan.
        return comments.filter(team_role__gt="")
    if chosen == Filter.MINE:
        return comments.filter(author_id=user_id)
    if chosen == Filter.FOLLOWING:
        followed = Follow.objects.filter(follower_id=user_id).values("followed_id")
        return comments.filter(author_id__in=followed)
    saved = Bookmark.objects.filter(user_id=user_id).values("comment_id")
    return comments.filter(pk__in=saved)


def conversation_page(
    *,
    step: Step,
    viewer: Viewer,
    chosen: str = Filter.ALL,
    cursor: Cursor | None = None,
    size: int = PAGE_SIZE,
) -> ConversationPage:
    """One page of a step's conversation in the viewer's run: threads newest first (or most
    liked), or, for the other filters, the matching comments and replies newest first. The
    caller has checked that the step is open for the viewer (learning's step_access).

    In the threads (All, Most liked) a comment the team pinned comes first on the first page
    and is left out of the next ones. Found with the page's own query (a subquery read once),
    it costs a query more only when it is not among the page's comments anyway."""
    if cursor is None:
        # The first page, which every step page shows: the same query for every step and
        # viewer of a kind, compiled once (stoa.lib.prepared).
        kind = "team" if viewer.is_team else "user" if viewer.user_id else "visitor"
        values = {"step": step.pk}
        if viewer.run is not None:
            values["run"] = viewer.run.pk
        if viewer.user_id:
            values["user"] = viewer.user_id
        shape = (chosen, kind, viewer.run is not None, size)
        dicts = _FIRST_PAGE.run(shape, **values)
    else:
        dicts = list(_page_queryset(step.pk, viewer, chosen, cursor, size))
    pinned_ids = {row.pop("pinned_id", None) for row in dicts} - {None}
    rows = _named([ListedComment(**row) for row in dicts])
    pinned_id = next(iter(pinned_ids), None)
    shown = rows[:size]
    next_cursor = None
    if len(rows) > size:
        last = shown[-1]
        liked = chosen == Filter.LIKED
        next_cursor = Cursor(last.like_count, last.pk) if liked else Cursor.of_time(last)
    if pinned_id is not None:
        shown = _pinned_first(shown, pinned_id)
    items = [ShownComment(comment, viewer) for comment in shown]
    if chosen not in Filter.FLAT:
        _add_first_replies(items, viewer)
    add_viewer_state(items, viewer)
    return ConversationPage(items=items, filter=chosen, next_cursor=next_cursor)


def _page_queryset(
    step_id: int, viewer: Viewer, chosen: str, cursor: Cursor | None, size: int
) -> QuerySet:
    """The page's comments (one more than the page, to know whether another follows) as
    values() for ListedComment, and on the first page of threads the pinned comment's id."""
    comments: QuerySet[Comment] = Comment.objects.filter(_listed(viewer), step_id=step_id)
    comments = _filtered(comments, chosen, viewer)
    threads = chosen in (Filter.ALL, Filter.LIKED)
    if threads and cursor:
        comments = comments.filter(pinned_at__isnull=True)
    if chosen == Filter.LIKED:
        comments = comments.order_by("-like_count", "-id")
        if cursor:
            comments = comments.filter(after_descending("like_count", cursor.key, cursor.id))
    else:
        comments = comments.order_by("-created_at", "-id")
        if cursor:
            comments = comments.filter(after_descending("created_at", cursor.time, cursor.id))
    names = {"author_name": F("author__display_name")}
    if threads and not cursor:
        pinned = Comment.objects.filter(
            _listed(viewer), step_id=step_id, parent__isnull=True, pinned_at__isnull=False
        )
        comments = comments.annotate(pinned_id=Subquery(pinned.values("pk")[:1]))
        return comments.values(*LISTED_COLUMNS, "pinned_id", **names)[: size + 1]
    if chosen in Filter.FLAT:
        names["parent_author_name"] = F("parent__author__display_name")
    return comments.values(*LISTED_COLUMNS, **names)[: size + 1]


def _first_page_query(values, chosen: str, kind: str, has_run: bool, size: int) -> QuerySet:
    """_page_queryset's first page, built with stand-ins for a viewer of this kind. The user
    is asked for only where the query has them: the team sees every comment, so only the
    personal filters name the user."""
    asks_user = kind == "user" or (kind == "team" and chosen in Filter.PERSONAL)
    user = User(pk=values.user) if asks_user else AnonymousUser()
    run = CourseRun(pk=values.run) if has_run else None
    viewer = Viewer(user=user, course_id=0, run=run, is_team=kind == "team")
    return _page_queryset(values.step, viewer, chosen, None, size)


_FIRST_PAGE = PreparedQuery(_first_page_query)


def _pinned_first(rows: list[ListedComment], pinned_id: int) -> list[ListedComment]:
    """The pinned comment, then the others: moved up if among them, else read."""
    pinned = [row for row in rows if row.pk == pinned_id] or _rows(
        Comment.objects.filter(pk=pinned_id)
    )
    return pinned + [row for row in rows if row.pk != pinned_id]


def _rows(comments: QuerySet[Comment], *, with_parent: bool = False) -> list[ListedComment]:
    """The comments as ListedComments; with_parent for those shown away from their thread."""
    names = {"author_name": F("author__display_name")}
    if with_parent:
        names["parent_author_name"] = F("parent__author__display_name")
    return _named([ListedComment(**row) for row in comments.values(*LISTED_COLUMNS, **names)])


def _named(rows: list[ListedComment]) -> list[ListedComment]:
    for row in rows:  # an account made without a name still shows as someone
        row.author_name = public_name(row.author_name)
        if row.parent_author_name is not None:
            row.parent_author_name = public_name(row.parent_author_name)
    return rows


def _replies(viewer: Viewer) -> QuerySet[Comment]:
    """Replies the viewer may see, for threads they may see (so in their run)."""
    replies = Comment.objects.filter(rules.not_hidden_from(viewer), deleted_at__isnull=True)
    return replies.order_by("created_at", "id")


def _add_first_replies(items: list[ShownComment], viewer: Viewer) -> None:
    """The first replies of the listed comments that have any, in one query whatever the
    number of replies: those whose ids are among each thread's first few (and one more, to
    know there are more), found by one indexed subquery per place."""
    # Only threads with replies: each id costs the ORM some work in every place's subquery.
    # reply_count leaves out hidden replies, which the course team sees, so theirs are all.
    with_replies = {item.pk: item for item in items if item.comment.reply_count or viewer.is_team}
    if not with_replies:
        return
    # Not a window function numbering every reply of the listed threads: on the most liked
    # page those threads have thousands of replies between them, and this reads at most
    # REPLIES_SHOWN + 1 of each.
    first = _replies(viewer).filter(parent_id=OuterRef("pk")).values("pk")
    threads = Comment.objects.filter(pk__in=with_replies)
    places = [
        threads.annotate(reply_id=Subquery(first[n : n + 1])).values("reply_id")
        for n in range(REPLIES_SHOWN + 1)
    ]
    replies = (
        _replies(viewer)
        .filter(pk__in=places[0].union(*places[1:]))
        .order_by("parent_id", "created_at", "id")
    )
    for reply in _rows(replies):
        thread = with_replies[cast(int, reply.parent_id)]  # a reply has a parent
        if len(thread.replies) == REPLIES_SHOWN:
            thread.more_replies = True
            continue
        thread.replies.append(ShownComment(reply, viewer))


def add_viewer_state(items: list[ShownComment], viewer: Viewer) -> None:
    """Marks what the viewer liked, saved, and whose authors they follow: one query each for
    the comments and their replies together."""
    everything = [shown for item in items for shown in (item, *item.replies, *item.later_replies)]
    if not everything or not viewer.takes_part:
        return
    user_id = cast(int, viewer.user.pk)  # taking part means signed in
    ids = {shown.pk for shown in everything}
    authors = {shown.comment.author_id for shown in everything} - {user_id}
    liked = set(
        Like.objects.filter(user_id=user_id, comment_id__in=ids).values_list(
            "comment_id", flat=True
        )
    )
    saved = set(
        Bookmark.objects.filter(user_id=user_id, comment_id__in=ids).values_list(
            "comment_id", flat=True
        )
    )
    followed = set()
    if authors:
        followed = set(
            Follow.objects.filter(follower_id=user_id, followed_id__in=authors).values_list(
                "followed_id", flat=True
            )
        )
    for shown in everything:
        shown.liked = shown.pk in liked
        shown.bookmarked = shown.pk in saved
        shown.follows_author = shown.comment.author_id in followed


def comment_for(*, pk: int, step: Step, viewer: Viewer) -> Comment:
    """A comment of this step's conversation in the viewer's run, if the viewer may see it
    (with its author, run and step loaded, for the services' checks); NotFound otherwise. The
    caller has checked that the step is open for the viewer."""
    comment = (
        Comment.objects.filter(_listed(viewer), pk=pk, step=step)
        .select_related("author", "run__course", "step__week__course")
        .first()
    )
    if comment is None:
        raise NotFound(_("No such comment."))
    return comment


def shown_comment(comment: Comment, viewer: Viewer) -> ShownComment:
    """One comment with the viewer's state, to render it on its own after a change."""
    item = ShownComment.of(comment, viewer)
    add_viewer_state([item], viewer)
    return item


def _replies_after(
    parent: Comment, viewer: Viewer, cursor: Cursor | None, size: int
) -> tuple[list[ShownComment], Cursor | None]:
    replies = _replies(viewer).filter(parent=parent)
    if cursor:
        replies = replies.filter(after_ascending("created_at", cursor.time, cursor.id))
    rows = _rows(replies[: size + 1])
    next_cursor = Cursor.of_time(rows[size - 1]) if len(rows) > size else None
    return [ShownComment(reply, viewer) for reply in rows[:size]], next_cursor


def replies_after(
    *, parent: Comment, viewer: Viewer, cursor: Cursor | None, size: int = REPLIES_PAGE_SIZE
) -> tuple[list[ShownComment], Cursor | None]:
    """A page of a comment's replies, oldest first, after the cursor."""
    items, next_cursor = _replies_after(parent, viewer, cursor, size)
    add_viewer_state(items, viewer)
    return items, next_cursor


def thread(
    *, comment: Comment, viewer: Viewer, cursor: Cursor | None = None, size: int = REPLIES_PAGE_SIZE
) -> ShownComment:
    """A comment with a page of its replies, for its own page."""
    item = ShownComment.of(comment, viewer)
    item.replies, item.replies_cursor = _replies_after(comment, viewer, cursor, size)
    item.more_replies = item.replies_cursor is not None
    add_viewer_state([item], viewer)
    return item


def thread_with_reply(*, comment: Comment, reply: Comment, viewer: Viewer) -> ShownComment:
    """A thread as the step page shows it, right after the viewer replied: its first replies
    and, if it is not among them, the new reply after them."""
    item = ShownComment.of(comment, viewer)
    _add_first_replies([item], viewer)
    if all(shown.pk != reply.pk for shown in item.replies):
        item.later_replies = [ShownComment.of(reply, viewer)]
    add_viewer_state([item], viewer)
    return item
