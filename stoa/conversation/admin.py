"""The conversation in the admin: for looking things up, not for changing them. Comments are
hidden and restored from the moderation queue, which logs and notifies; the admin would do
neither, so moderation fields are read-only here and the log cannot be edited at all.

Tables here grow to millions of rows: no full counts, foreign keys as raw ids, filters on
indexed or small columns."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from stoa.conversation.models import (
    Bookmark,
    Comment,
    Follow,
    Like,
    ModerationAction,
    Notification,
    Report,
)
from stoa.courses.models import TeamRole


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows are written by the services, which keep counters (likes, replies) and the
    moderation log in step with them; an edit or a delete here would put them out of step."""

    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class HiddenFilter(admin.SimpleListFilter):
    title = "moderation"
    parameter_name = "hidden"

    def lookups(self, request, model_admin):
        return [("yes", "Hidden"), ("no", "Visible")]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(hidden_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(hidden_at__isnull=True)
        return queryset


class TeamRoleFilter(admin.SimpleListFilter):
    """From the roles, not from the comments: listing distinct values would read them all."""

    title = "author's role"
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return [("learner", "Learner"), *TeamRole.choices]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        if self.value() == "learner":
            return queryset.filter(team_role="")
        if self.value():
            return queryset.filter(team_role=self.value())
        return queryset


class ResolvedFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "open"

    def lookups(self, request, model_admin):
        return [("yes", "Open"), ("no", "Resolved")]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(resolved_at__isnull=True)
        if self.value() == "no":
            return queryset.filter(resolved_at__isnull=False)
        return queryset


class ReportInline(ReadOnlyInline):
    model = Report
    # Tuples where one sequence is both fields and readonly_fields (here and below): the stubs
    # type those as lists of different items, and one list cannot be both.
    fields = ("reporter", "reason", "created_at", "resolved_at")
    readonly_fields = fields


class ModerationActionInline(ReadOnlyInline):
    model = ModerationAction
    fields = ("kind", "moderator", "reason", "created_at")
    readonly_fields = fields
    ordering = ["-created_at"]


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "author", "step", "team_role", "created_at", "hidden_at"]
    list_filter = [HiddenFilter, TeamRoleFilter, "run__course"]
    list_select_related = ["author", "step__week"]
    search_fields = ["body", "author__email", "author__display_name"]
    readonly_fields = (
        "run",
        "step",
        "author",
        "parent",
        "body",
        "team_role",
        "created_at",
        "edited_at",
        "deleted_at",
        "hidden_at",
        "hidden_reason",
        "like_count",
        "reply_count",
        "bookmark_count",
    )
    fields = readonly_fields
    inlines = [ReportInline, ModerationActionInline]


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = ["comment", "reporter", "reason", "created_at", "resolved_at"]
    list_filter = [ResolvedFilter, "comment__run__course"]
    list_select_related = ["comment__author", "comment__step__week", "reporter"]
    search_fields = ["reason", "reporter__email", "comment__author__email"]
    raw_id_fields = ["comment", "reporter"]
    date_hierarchy = "created_at"


@admin.register(ModerationAction)
class ModerationActionAdmin(ReadOnlyAdmin):
    """The log of who decided what, and when."""

    list_display = ["created_at", "kind", "moderator", "comment", "reason"]
    list_filter = ["kind", "comment__run__course"]
    list_select_related = ["moderator", "comment__author", "comment__step__week"]
    search_fields = ["reason", "moderator__email", "comment__author__email"]
    raw_id_fields = ["comment", "moderator"]
    date_hierarchy = "created_at"


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "recipient", "kind", "actor", "text", "read_at", "emailed_at"]
    list_filter = ["kind"]
    list_select_related = ["recipient", "actor"]
    search_fields = ["recipient__email", "text"]
    raw_id_fields = ["recipient", "actor", "comment"]


@admin.register(Like)
class LikeAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "user", "comment"]
    list_select_related = ["user", "comment__author", "comment__step__week"]
    search_fields = ["user__email"]
    raw_id_fields = ["user", "comment"]


@admin.register(Bookmark)
class BookmarkAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "user", "comment"]
    list_select_related = ["user", "comment__author", "comment__step__week"]
    search_fields = ["user__email"]
    raw_id_fields = ["user", "comment"]


@admin.register(Follow)
class FollowAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "follower", "followed"]
    list_select_related = ["follower", "followed"]
    search_fields = ["follower__email", "followed__email"]
    raw_id_fields = ["follower", "followed"]
