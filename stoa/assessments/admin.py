"""Assessments in the admin, for looking things up: answers, sheets, votes and peer work are
written by the services, which keep scores, tallies and review counts in step with them, so
nothing here can be added, changed or deleted. Tables grow to millions of rows: no full
counts, foreign keys as raw ids."""

from django.contrib import admin
from django.http import HttpRequest

from stoa.assessments.models import (
    Answer,
    AnswerSheet,
    PeerReport,
    PeerReview,
    PeerSubmission,
    PollVote,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Answer)
class AnswerAdmin(ReadOnlyAdmin):
    list_display = [
        "submitted_at",
        "user",
        "step",
        "question",
        "sitting",
        "attempt",
        "choices",
        "correct",
    ]
    raw_id_fields = ["user", "run", "step", "question"]
    list_filter = ["correct"]
    date_hierarchy = "submitted_at"


@admin.register(AnswerSheet)
class AnswerSheetAdmin(ReadOnlyAdmin):
    list_display = [
        "enrolment",
        "step",
        "sitting",
        "questions_done",
        "points",
        "best_percent",
        "finished_at",
    ]
    raw_id_fields = ["enrolment", "step"]


@admin.register(PollVote)
class PollVoteAdmin(ReadOnlyAdmin):
    list_display = ["voted_at", "user", "step", "run", "choices"]
    raw_id_fields = ["user", "run", "step"]


@admin.register(PeerSubmission)
class PeerSubmissionAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "user",
        "step",
        "run",
        "submitted_at",
        "review_count",
        "hidden_at",
    ]
    raw_id_fields = ["user", "run", "step"]


@admin.register(PeerReview)
class PeerReviewAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "reviewer", "submission", "hidden_at"]
    raw_id_fields = ["reviewer", "submission", "run", "step"]


@admin.register(PeerReport)
class PeerReportAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "reporter", "submission", "review", "reason", "resolved_at"]
    raw_id_fields = ["reporter", "submission", "review"]
