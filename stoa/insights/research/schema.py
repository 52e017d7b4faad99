"""The datasets, their file names and their columns, exactly as the reference platform writes
them (its CSV files: UTF-8, LF line ends, minimal quoting, times in UTC as
"2016-09-05 11:41:07 UTC", empty cells for nothing). Exports write these headers byte for byte;
imports accept these and the older, narrower layouts."""

import datetime

DATASETS: dict[str, tuple[str, ...]] = {
    "enrolments": (
        "learner_id", "enrolled_at", "unenrolled_at", "role", "fully_participated_at",
        "purchased_statement_at", "gender", "country", "age_range", "highest_education_level",
        "employment_status", "employment_area", "detected_country",
    ),
    "step-activity": (
        "learner_id", "step", "week_number", "step_number", "first_visited_at",
        "last_completed_at",
    ),
    "comments": (
        "id", "author_id", "parent_id", "step", "week_number", "step_number", "text",
        "timestamp", "likes", "first_reported_at", "first_reported_reason", "moderation_state",
        "moderated",
    ),
    "question-response": (
        "learner_id", "quiz_question", "question_type", "week_number", "step_number",
        "question_number", "response", "cloze_response", "submitted_at", "correct",
    ),
    "peer-review-assignments": (
        "id", "step", "week_number", "step_number", "author_id", "text", "first_viewed_at",
        "submitted_at", "moderated", "review_count",
    ),
    "peer-review-reviews": (
        "id", "step", "week_number", "step_number", "reviewer_id", "assignment_id",
        "guideline_one_feedback", "guideline_two_feedback", "guideline_three_feedback",
        "created_at",
    ),
    "team-members": ("id", "first_name", "last_name", "team_role", "user_role"),
    "video-stats": (
        "step_position", "title", "video_duration", "total_views", "total_downloads",
        "total_caption_views", "total_transcript_views", "viewed_hd", "viewed_five_percent",
        "viewed_ten_percent", "viewed_twentyfive_percent", "viewed_fifty_percent",
        "viewed_seventyfive_percent", "viewed_ninetyfive_percent", "viewed_onehundred_percent",
        "console_device_percentage", "desktop_device_percentage", "mobile_device_percentage",
        "tv_device_percentage", "tablet_device_percentage", "unknown_device_percentage",
        "europe_views_percentage", "oceania_views_percentage", "asia_views_percentage",
        "north_america_views_percentage", "south_america_views_percentage",
        "africa_views_percentage", "antarctica_views_percentage",
    ),
    "leaving-survey-responses": (
        "id", "learner_id", "left_at", "leaving_reason", "last_completed_step_at",
        "last_completed_step", "last_completed_week_number", "last_completed_step_number",
    ),
    "weekly-sentiment-survey-responses": (
        "id", "responded_at", "week_number", "experience_rating", "reason",
    ),
    "archetype-survey-responses": ("id", "learner_id", "responded_at", "archetype"),
}  # fmt: skip


def file_name(course_slug: str, dataset: str) -> str:
    return f"{course_slug}_{dataset}.csv"


# What the datasets write for an answer a learner did not give, or preferred not to give.
UNKNOWN = "Unknown"

_TIME_FORMAT = "%Y-%m-%d %H:%M:%S UTC"


def format_time(moment: datetime.datetime | None) -> str:
    """A time as the datasets write it, in UTC to the second; empty for none."""
    if moment is None:
        return ""
    return moment.astimezone(datetime.UTC).strftime(_TIME_FORMAT)


def parse_time(cell: str) -> datetime.datetime | None:
    """A dataset's time (" UTC" may be missing in older files); None for an empty cell.
    ValueError for anything else."""
    cell = cell.strip()
    if not cell:
        return None
    if cell.endswith(" UTC"):
        cell = cell[: -len(" UTC")]
    return datetime.datetime.strptime(cell, "%Y-%m-%d %H:%M:%S").replace(tzinfo=datetime.UTC)


def step_label(week_number: int, step_number: int) -> str:
    """A step as the datasets name it: "1.3" for the third step of week 1."""
    return f"{week_number}.{step_number}"
