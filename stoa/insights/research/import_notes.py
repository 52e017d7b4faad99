"""What an import tells of the rows it left out or mended (importer.ImportReport.notes)."""

from django.utils.translation import ngettext


def note_text(kind: str, dataset: str, count: int, named: str) -> str:
    values = {"count": f"{count:,}", "dataset": dataset, "named": named}
    texts = {
        "no_learner": ngettext(
            "%(count)s row of %(dataset)s has no learner id: left out.",
            "%(count)s rows of %(dataset)s have no learner id: left out.",
            count,
        ),
        "unmatched_step": ngettext(
            "%(count)s row of %(dataset)s is on a step this course does not have (%(named)s): "
            "left out.",
            "%(count)s rows of %(dataset)s are on steps this course does not have (%(named)s): "
            "left out.",
            count,
        ),
        "unmatched_question": ngettext(
            "%(count)s row of %(dataset)s answers a question this course does not have "
            "(%(named)s): left out.",
            "%(count)s rows of %(dataset)s answer questions this course does not have "
            "(%(named)s): left out.",
            count,
        ),
        "unmatched_last_step": ngettext(
            "%(count)s row of %(dataset)s names a last step this course does not have "
            "(%(named)s): kept without it.",
            "%(count)s rows of %(dataset)s name last steps this course does not have "
            "(%(named)s): kept without them.",
            count,
        ),
        "not_multiple_choice": ngettext(
            "%(count)s row of %(dataset)s answers a question that is not multiple choice "
            "(%(named)s): left out.",
            "%(count)s rows of %(dataset)s answer questions that are not multiple choice "
            "(%(named)s): left out.",
            count,
        ),
        "not_peer_review": ngettext(
            "%(count)s row of %(dataset)s is on a step that is not a peer review here "
            "(%(named)s): left out.",
            "%(count)s rows of %(dataset)s are on steps that are not peer reviews here "
            "(%(named)s): left out.",
            count,
        ),
        "not_video": ngettext(
            "%(count)s row of %(dataset)s is on a step that is not a video here (%(named)s): "
            "left out.",
            "%(count)s rows of %(dataset)s are on steps that are not videos here (%(named)s): "
            "left out.",
            count,
        ),
        "no_times": ngettext(
            "%(count)s row of %(dataset)s has neither a visit nor a completion time: left out.",
            "%(count)s rows of %(dataset)s have neither a visit nor a completion time: left out.",
            count,
        ),
        "duplicate": ngettext(
            "%(count)s row of %(dataset)s repeats a row exactly: read once.",
            "%(count)s rows of %(dataset)s repeat a row exactly: read once.",
            count,
        ),
        "repeated_learner": ngettext(
            "%(count)s row of %(dataset)s names a learner again: the first row was kept.",
            "%(count)s rows of %(dataset)s name a learner again: the first rows were kept.",
            count,
        ),
        "repeated_step": ngettext(
            "%(count)s row of %(dataset)s is about a learner and step read already: the first "
            "row was kept.",
            "%(count)s rows of %(dataset)s are about a learner and step read already: the first "
            "rows were kept.",
            count,
        ),
        "role": ngettext(
            "%(count)s person in %(dataset)s has a role other than learner (%(named)s): imported "
            "with the learners, their role kept for the export.",
            "%(count)s people in %(dataset)s have a role other than learner (%(named)s): "
            "imported with the learners, their role kept for the export.",
            count,
        ),
        "unlisted": ngettext(
            "%(count)s learner found in the activity is not in the enrolments file: given an "
            "enrolment from their first activity (the export leaves it out).",
            "%(count)s learners found in the activity are not in the enrolments file: given an "
            "enrolment from their first activity (the export leaves them out).",
            count,
        ),
        "parent_missing": ngettext(
            "%(count)s reply answers a comment that is not in the file: imported as a comment "
            "of its own.",
            "%(count)s replies answer comments that are not in the file: imported as comments "
            "of their own.",
            count,
        ),
        "nested_reply": ngettext(
            "%(count)s reply answers a reply: it joins the thread (Stoa has one level of replies).",
            "%(count)s replies answer replies: they join the thread (Stoa has one level of "
            "replies).",
            count,
        ),
        "work_missing": ngettext(
            "%(count)s review in %(dataset)s is of work that is not imported: left out.",
            "%(count)s reviews in %(dataset)s are of work that is not imported: left out.",
            count,
        ),
        "taken": ngettext(
            "%(count)s row of %(dataset)s repeats what a learner has already (one per learner "
            "and step, or per learner): left out.",
            "%(count)s rows of %(dataset)s repeat what learners have already (one per learner "
            "and step, or per learner): left out.",
            count,
        ),
    }
    return texts[kind] % values
