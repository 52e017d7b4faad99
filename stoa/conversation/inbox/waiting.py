"""Which comments wait for the course team, kept on the comment as each write happens.

The rule: a learner's comment that starts a thread waits (Comment.waiting) from when it is
posted until a member of the team (or staff) replies in its thread, someone on the team marks
it handled, or it is hidden or deleted; restoring a hidden one that no team member answered
puts it back. Learners' replies never wait on their own: the thread they are in is the unit
the team answers, and a learner's follow-up in a thread the team has answered does not put it
back (a known limit, for a later change).

Every change goes through start_waiting and stop_waiting, in the caller's transaction, which
also keep the step's WaitingCount: the inbox then lists a partial index and reads one row per
step for its counts, whatever the number of comments. Both are conditional updates, so two
replies at the same moment take the comment out of the count once.

This module imports only models, so that comment, moderation and inbox services may all
call it.
"""

import re

from django.db import IntegrityError, transaction
from django.db.models import F

from stoa.conversation.models import Comment, WaitingCount

# Words that open a question in English. Contractions are listed as written.
QUESTION_WORDS = frozenset(
    (
        *("who", "whom", "whose", "what", "which", "when", "where", "why", "how"),
        *("can", "could", "should", "would", "will", "shall", "may", "might", "must"),
        *("do", "does", "did", "is", "are", "was", "were", "has", "have", "had", "am"),
        *("isn't", "aren't", "wasn't", "weren't", "don't", "doesn't", "didn't", "can't"),
        *("couldn't", "shouldn't", "wouldn't", "won't", "hasn't", "haven't"),
        *("what's", "who's", "where's", "when's", "why's", "how's", "anyone", "anybody"),
    )
)
_FENCED_CODE = re.compile(r"^ {0,3}(```|~~~).*?(^ {0,3}\1[^\n]*$|\Z)", re.MULTILINE | re.DOTALL)
_INDENTED_CODE = re.compile(r"^(?: {4}|\t).*$", re.MULTILINE)
_INLINE_CODE = re.compile(r"(`+).+?\1", re.DOTALL)
_QUOTE = re.compile(r"^ {0,3}>.*$", re.MULTILINE)
# A question mark that ends a sentence: followed by the end, a space, or closing quotes and
# brackets (then the end or a space); so not the one in "page?id=3" or "a?b".
_ENDING_QUESTION_MARK = re.compile(r"\?[?!]*[\"'\u201d\u2019)\]]*(?=\s|$)")
_FIRST_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)|\n\s*\n")


def asks_a_question(text: str) -> bool:
    """Whether a comment asks a question. The rule, on the text with Markdown code (fenced,
    indented and inline) and quoted lines ("> ...") taken out, since a question someone
    quotes or a "?" in code is not theirs:

    - a "?" ends a sentence: it is followed by a space, a line break or the end of the text
      (closing quotes and brackets allowed between), so "Why 40?" and "(is it 40?)" ask, and
      "https://example.org/?q=1" does not; or
    - the first sentence begins with a question word (who, what, why, how, can, should, is,
      does... see QUESTION_WORDS) and does not end with "!": "why does the axis start at 40"
      asks, "What a chart!" does not.

    A heuristic: "How I read it: ..." counts as a question. It only orders the inbox, where a
    wrong guess costs a place, never a comment.
    """
    text = text.replace("\u2019", "'")  # a typographic apostrophe, as in "what\u2019s"
    for pattern in (_FENCED_CODE, _INDENTED_CODE, _INLINE_CODE, _QUOTE):
        text = pattern.sub(" ", text)
    text = text.strip()
    if _ENDING_QUESTION_MARK.search(text):
        return True
    first_word = _FIRST_WORD.search(text)
    if first_word is None or first_word.group().lower() not in QUESTION_WORDS:
        return False
    end = _SENTENCE_END.search(text, first_word.end())
    return end is None or end.group() != "!"


def waits_when_posted(*, parent: Comment | None, by_team: bool) -> bool:
    """Whether a new comment waits for the team: a learner's, starting a thread."""
    return parent is None and not by_team


def start_waiting(comment: Comment) -> bool:
    """Puts a comment (saved, with run_id and step_id) in the inbox unless it is there;
    returns whether it changed."""
    changed = Comment.objects.filter(pk=comment.pk, waiting=False).update(waiting=True)
    if changed:
        comment.waiting = True
        _count(comment, +1)
    return bool(changed)


def stop_waiting(comment: Comment) -> bool:
    """Takes a comment out of the inbox if it is there; returns whether it changed."""
    changed = Comment.objects.filter(pk=comment.pk, waiting=True).update(waiting=False)
    if changed:
        comment.waiting = False
        _count(comment, -1)
    return bool(changed)


def count_new(comment: Comment) -> None:
    """Counts a comment created with waiting=True (post_comment saves it so)."""
    if comment.waiting:
        _count(comment, +1)


def _count(comment: Comment, change: int) -> None:
    counts = WaitingCount.objects.filter(run_id=comment.run_id, step_id=comment.step_id)
    if counts.update(count=F("count") + change):
        return
    try:
        with transaction.atomic():  # the first waiting comment of this step and run
            WaitingCount.objects.create(
                run_id=comment.run_id, step_id=comment.step_id, count=max(change, 0)
            )
    except IntegrityError:  # created by another transaction meanwhile
        counts.update(count=F("count") + change)


def waits_again(comment: Comment) -> bool:
    """Whether a restored comment (loaded with parent_id and team_role) waits again: a
    learner's thread with no reply from the team. Staff who are not on the team post without
    a team_role, so a thread only they answered waits again: the team has not seen it."""
    if comment.parent_id is not None or comment.team_role:
        return False
    answered = Comment.objects.filter(parent_id=comment.pk, team_role__gt="", deleted_at=None)
    return not answered.exists()
