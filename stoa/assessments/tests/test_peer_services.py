"""Peer review's rules: writing work, who reviews what, counters, completion, reports and the
course team's decisions."""

import datetime
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.utils import timezone

from stoa.assessments.models import PeerAllocation, PeerReport, PeerReview, PeerSubmission
from stoa.assessments.peer import services
from stoa.assessments.peer.services import (
    AlreadyReported,
    AlreadySubmitted,
    NothingToDo,
    count_words,
    give_review,
    reserve_work,
    save_draft,
    submit_work,
)
from stoa.conversation.models import Notification
from stoa.learning.models import StepCompletion
from stoa.learning.services import enrol
from stoa.lib.refusals import AlreadyDone, Invalid, NotAllowed, NotFound, TooMany
from stoa.testing import (
    make_course,
    make_peer_step,
    make_peer_submission,
    make_peer_submissions,
    make_user,
    peer_text,
    step_of,
)

pytestmark = pytest.mark.django_db

ANSWERS = ["Yes: the claim is in the first line.", "Partly: it gives a count but no rate."]


def review(reviewer, step) -> PeerReview:
    """The reviewer takes the work allocation gives them and reviews it."""
    allocation = reserve_work(user=reviewer, step=step)
    assert allocation is not None
    return give_review(reviewer=reviewer, submission=allocation.submission, answers=ANSWERS)


def counts(work: PeerSubmission) -> tuple[int, int]:
    work.refresh_from_db()
    return work.review_count, work.assigned


# --- Counting words --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", 0),
        ("   \n\n  ", 0),
        ("— - ... !", 0),
        ("Don't panic — it's a well-known 3.5% rise in £18,000 prices.", 10),
        ("Prices rose—sharply—last year", 5),
        ("one\ntwo\tthree  four", 4),
        ("Цены выросли на 5% — это много.", 6),  # Russian
        ("नमस्ते दुनिया, यह एक परीक्षण है।", 6),  # Hindi: vowel signs are marks inside words
        ("Οι τιμές αυξήθηκαν κατά 5%.", 5),  # Greek  # noqa: RUF001
        ("我喜欢数字", 5),  # Chinese: a word per character, as word processors count
        ("日本語の news です", 7),
    ],
)
def test_words_are_counted_as_people_count_them(text, words):
    assert count_words(text) == words


def test_the_builders_text_has_the_words_it_says():
    assert count_words(peer_text(200)) == 200


# --- Writing work ----------------------------------------------------------------------------


def test_a_learner_saves_a_draft_then_submits_it_and_it_can_no_longer_change(
    enrolled, learner, peer_step, course
):
    draft = save_draft(user=learner, step=peer_step, text="  A first go.\r\nMore later.  ")

    assert (draft.text, draft.word_count, draft.submitted_at) == (
        "A first go.\nMore later.",
        5,
        None,
    )
    assert draft.run == course.runs.get()

    work = submit_work(user=learner, step=peer_step, text=peer_text(25))

    assert work.pk == draft.pk and work.is_submitted and work.word_count == 25
    for write in (save_draft, submit_work):
        with pytest.raises(AlreadySubmitted, match="can no longer be changed"):
            write(user=learner, step=peer_step, text=peer_text(30))
    assert PeerSubmission.objects.get().text == peer_text(25)


def test_work_shorter_than_the_minimum_is_not_submitted_and_the_draft_is_left_as_it_was(
    enrolled, learner, peer_step
):
    save_draft(user=learner, step=peer_step, text="My draft.")

    with pytest.raises(Invalid, match="Your work has 19 words; write at least 20"):
        submit_work(user=learner, step=peer_step, text=peer_text(19))

    work = PeerSubmission.objects.get()
    assert (work.text, work.submitted_at) == ("My draft.", None)


def test_empty_and_overlong_work_are_refused(enrolled, learner, peer_step):
    with pytest.raises(Invalid, match="Write your work"):
        save_draft(user=learner, step=peer_step, text=" \n ")
    with pytest.raises(Invalid, match="up to 20,000 characters"):
        save_draft(user=learner, step=peer_step, text="a" * 20_001)
    assert not PeerSubmission.objects.exists()


def test_saving_too_often_is_refused_with_a_wait(enrolled, learner, peer_step):
    for n in range(services.WRITES.limit):
        save_draft(user=learner, step=peer_step, text=f"Draft {n}")

    with pytest.raises(TooMany, match="Your text is kept") as refused:
        save_draft(user=learner, step=peer_step, text="One more")
    assert refused.value.retry_after > 0


def test_a_visitor_someone_not_on_the_course_and_the_team_cannot_submit(
    peer_step, outsider, educator, other_course_educator, admin_user
):
    with pytest.raises(NotAllowed, match="Join the course"):
        submit_work(user=AnonymousUser(), step=peer_step, text=peer_text(20))  # type: ignore[arg-type]
    for person in (outsider, other_course_educator):
        with pytest.raises(NotAllowed, match="Join the course"):
            submit_work(user=person, step=peer_step, text=peer_text(20))
    for person in (educator, admin_user):
        with pytest.raises(NotAllowed, match="only learners answer"):
            submit_work(user=person, step=peer_step, text=peer_text(20))
    assert not PeerSubmission.objects.exists()


def test_nobody_submits_on_a_locked_week_or_on_a_step_without_peer_review(
    enrolled, learner, locked_peer_step, course
):
    with pytest.raises(NotAllowed, match="This step opens on"):
        submit_work(user=learner, step=locked_peer_step, text=peer_text(20))
    with pytest.raises(NotFound):
        submit_work(user=learner, step=step_of(course, 1, 2), text=peer_text(20))
    assert not PeerSubmission.objects.exists()


# --- Allocation ------------------------------------------------------------------------------


def test_reviewing_starts_only_after_submitting(enrolled, learner, other_learner, peer_step):
    make_peer_submission(other_learner, peer_step)

    with pytest.raises(NotAllowed, match="Submit your own work first"):
        reserve_work(user=learner, step=peer_step)
    assert not PeerAllocation.objects.exists()


def test_a_reviewer_is_given_the_least_reviewed_work_oldest_first(
    enrolled, learner, peer_step, course
):
    run = course.runs.get()
    older, newer, reviewed = make_peer_submissions(peer_step, run, 3)
    PeerSubmission.objects.filter(pk=older.pk).update(assigned=1)
    PeerSubmission.objects.filter(pk=reviewed.pk).update(assigned=0)
    make_peer_submission(learner, peer_step)

    allocation = reserve_work(user=learner, step=peer_step)

    assert allocation is not None and allocation.submission == newer
    assert allocation.reserved_until > timezone.now() + datetime.timedelta(minutes=29)
    assert counts(newer) == (0, 1)


def test_a_reservation_keeps_two_reviewers_off_the_last_work_that_needs_a_review(
    enrolled, learner, other_learner, peer_step, course
):
    run = course.runs.get()
    for person in (learner, other_learner):
        make_peer_submission(person, peer_step, ago=datetime.timedelta(hours=1))
    make_peer_submissions(peer_step, run, 2, prefix="earlier", ago=datetime.timedelta(minutes=30))
    waiting = make_peer_submissions(peer_step, run, 1, prefix="new")[0]
    # Every piece of work has had its review but the newest.
    PeerSubmission.objects.exclude(pk=waiting.pk).update(review_count=1, assigned=1)

    first = reserve_work(user=learner, step=peer_step)
    second = reserve_work(user=other_learner, step=peer_step)

    assert first is not None and first.submission == waiting
    assert second is not None and second.submission != waiting


def test_asking_again_keeps_the_same_work_and_renews_its_reservation(
    enrolled, learner, other_learner, peer_step
):
    work = make_peer_submission(other_learner, peer_step)
    make_peer_submission(learner, peer_step)
    first = reserve_work(user=learner, step=peer_step)
    PeerAllocation.objects.update(reserved_until=timezone.now() + datetime.timedelta(minutes=1))

    again = reserve_work(user=learner, step=peer_step)

    assert again is not None and again.pk == first.pk and again.submission == work
    assert again.reserved_until > timezone.now() + datetime.timedelta(minutes=29)
    assert counts(work) == (0, 1)

    # Back from a break, after the reservation lapsed but before anyone released it.
    PeerAllocation.objects.update(reserved_until=timezone.now() - datetime.timedelta(minutes=1))
    back = reserve_work(user=learner, step=peer_step)
    assert back is not None and back.pk == first.pk and counts(work) == (0, 1)


def test_lapsed_reservations_are_released_and_the_work_offered_again(
    enrolled, learner, other_learner, peer_step, course
):
    work = make_peer_submission(other_learner, peer_step, ago=datetime.timedelta(hours=2))
    make_peer_submission(learner, peer_step, ago=datetime.timedelta(hours=1))
    held = reserve_work(user=learner, step=peer_step)
    assert held is not None and held.submission == work
    PeerAllocation.objects.update(reserved_until=timezone.now() - datetime.timedelta(seconds=1))
    late = make_user("late@example.org")
    enrol(user=late, course=course)
    make_peer_submission(late, peer_step)

    given = reserve_work(user=late, step=peer_step)

    # The learner's lapsed reservation was released, so the late learner gets the work with
    # fewest reviews given or reserved: the other learner's, the oldest of those at none.
    assert given is not None and given.submission == work
    assert not PeerAllocation.objects.filter(reviewer=learner).exists()
    assert counts(work) == (0, 1)


def test_nobody_is_given_their_own_work_or_the_same_work_twice(peer_step, course):
    step = make_peer_step(course, reviews_required=3)
    authors = make_peer_submissions(step, course.runs.get(), 4)
    users = [work.user for work in authors]

    for _round in range(3):
        for user in users:
            review(user, step)

    for work, user in zip(authors, users, strict=True):
        given = list(PeerReview.objects.filter(reviewer=user).values_list("submission", flat=True))
        assert len(given) == len(set(given)) == 3
        assert work.pk not in given
        assert counts(work) == (3, 3)
    with pytest.raises(AlreadyDone, match="given the 3 reviews"):
        reserve_work(user=users[0], step=step)


def test_work_is_allocated_within_the_reviewer_s_run(
    enrolled, learner, other_run_learner, peer_step, course
):
    make_peer_submission(other_run_learner, peer_step)
    mine = make_peer_submission(learner, peer_step)

    assert reserve_work(user=learner, step=peer_step) is None
    assert reserve_work(user=other_run_learner, step=peer_step) is None
    with pytest.raises(NotFound):
        give_review(reviewer=other_run_learner, submission=mine, answers=ANSWERS)


def test_hidden_work_and_drafts_are_not_allocated(enrolled, learner, other_learner, peer_step):
    make_peer_submission(other_learner, peer_step, submitted=False)
    make_peer_submission(learner, peer_step)

    assert reserve_work(user=learner, step=peer_step) is None

    PeerSubmission.objects.filter(user=other_learner).update(
        submitted_at=timezone.now(), hidden_at=timezone.now()
    )
    assert reserve_work(user=learner, step=peer_step) is None


@pytest.mark.django_db(transaction=True)
def test_fifty_reviewers_on_ten_waiting_submissions_review_every_one_evenly(course):
    """Ten learners have just submitted; forty who submitted a day ago have had five reviews
    each. All fifty ask for work at once: each is given one piece, never their own, and the
    ten new pieces take them all, five each. On PostgreSQL the fifty ask from threads at the
    same moment; SQLite runs writes one at a time, so there they ask in turn."""
    step = make_peer_step(course, reviews_required=1)
    run = course.runs.get()
    waiting = make_peer_submissions(step, run, 10, prefix="new")
    earlier = make_peer_submissions(
        step, run, 40, assigned=5, prefix="earlier", ago=datetime.timedelta(days=1)
    )
    # Interleaved, so that authors of waiting work ask while their own is still waiting.
    reviewers = [work.user for pair in zip(earlier[::4], waiting, strict=True) for work in pair]
    reviewers += [work.user for n, work in enumerate(earlier) if n % 4]

    def take(user):
        try:
            return reserve_work(user=user, step=step)
        finally:
            if connection.vendor == "postgresql":
                connection.close()

    if connection.vendor == "postgresql":
        with ThreadPoolExecutor(max_workers=10) as pool:
            allocations = list(pool.map(take, reviewers))
    else:
        allocations = [take(user) for user in reviewers]

    assert all(allocation is not None for allocation in allocations)
    given = {a.reviewer_id: a.submission_id for a in allocations if a is not None}
    assert len(given) == 50
    owner = {work.pk: work.user_id for work in [*waiting, *earlier]}
    assert all(owner[work] != reviewer for reviewer, work in given.items())
    assigned = dict(PeerSubmission.objects.filter(step=step).values_list("pk", "assigned"))
    assert sorted(assigned[work.pk] for work in waiting) == [5] * 10
    assert all(assigned[work.pk] == 5 for work in earlier)

    for allocation in allocations:
        assert allocation is not None
        give_review(
            reviewer=allocation.reviewer, submission=allocation.submission, answers=[ANSWERS[0]] * 2
        )
    for work in waiting:
        assert counts(work) == (5, 5)
    assert not PeerAllocation.objects.exists()


# --- Reviewing -------------------------------------------------------------------------------


def test_a_review_counts_tells_the_author_and_completes_the_step_once_enough_are_given(
    enrolled, learner, other_learner, peer_step, course
):
    theirs = make_peer_submission(other_learner, peer_step)
    another = make_peer_submissions(peer_step, course.runs.get(), 1)[0]
    submit_work(user=learner, step=peer_step, text=peer_text(20))

    first = review(learner, peer_step)

    assert first.answers == ANSWERS and first.run == course.runs.get()
    assert counts(first.submission) == (1, 1)
    note = Notification.objects.get(recipient=first.submission.user)
    assert (note.kind, note.actor, note.step, note.comment) == (
        "peer-review",
        learner,
        peer_step,
        None,
    )
    assert not StepCompletion.objects.filter(step=peer_step).exists()  # one of two given

    second = review(learner, peer_step)

    assert {first.submission, second.submission} == {theirs, another}
    assert StepCompletion.objects.filter(step=peer_step, enrolment__user=learner).count() == 1
    with pytest.raises(AlreadyDone, match="given the 2 reviews"):
        give_review(reviewer=learner, submission=theirs, answers=ANSWERS)


def test_submitting_after_giving_the_reviews_completes_the_step(course, learner):
    """A step that asks for no reviews is complete as soon as the work is submitted."""
    enrol(user=learner, course=course)
    step = make_peer_step(course, reviews_required=0)

    submit_work(user=learner, step=step, text=peer_text(20))

    assert StepCompletion.objects.filter(step=step, enrolment__user=learner).exists()


def test_a_review_needs_an_answer_to_every_question(enrolled, learner, other_learner, peer_step):
    make_peer_submission(other_learner, peer_step)
    make_peer_submission(learner, peer_step)
    held = reserve_work(user=learner, step=peer_step)
    assert held is not None

    for answers, message in (
        (["Yes", "  "], "Answer question 2"),
        (["Yes"], "Answer each question"),
        (["Yes", "x" * 5001], "Answer question 2 in up to 5,000 characters"),
    ):
        with pytest.raises(Invalid, match=message):
            give_review(reviewer=learner, submission=held.submission, answers=answers)
    assert not PeerReview.objects.exists()
    assert PeerAllocation.objects.filter(pk=held.pk).exists()


def test_nobody_reviews_their_own_work_or_the_same_work_twice(
    enrolled, learner, other_learner, peer_step
):
    mine = make_peer_submission(learner, peer_step)
    theirs = make_peer_submission(other_learner, peer_step)

    with pytest.raises(NotFound):
        give_review(reviewer=learner, submission=mine, answers=ANSWERS)
    give_review(reviewer=learner, submission=theirs, answers=ANSWERS)
    with pytest.raises(AlreadyDone, match="already reviewed"):
        give_review(reviewer=learner, submission=theirs, answers=ANSWERS)
    assert PeerReview.objects.count() == 1


def test_a_review_of_work_not_reserved_for_the_reviewer_is_refused(
    enrolled, learner, other_learner, peer_step, course
):
    first, second = make_peer_submissions(peer_step, course.runs.get(), 2)
    make_peer_submission(learner, peer_step)
    held = reserve_work(user=learner, step=peer_step)
    assert held is not None and held.submission == first

    with pytest.raises(NotAllowed, match="no longer reserved for you"):
        give_review(reviewer=learner, submission=second, answers=ANSWERS)


def test_a_review_sent_after_its_reservation_was_released_still_counts(
    enrolled, learner, other_learner, peer_step
):
    work = make_peer_submission(other_learner, peer_step)
    make_peer_submission(learner, peer_step)
    held = reserve_work(user=learner, step=peer_step)
    assert held is not None
    services.release_lapsed(step=peer_step, now=timezone.now() + datetime.timedelta(hours=1))
    assert counts(work) == (0, 0)

    give_review(reviewer=learner, submission=work, answers=ANSWERS)

    assert counts(work) == (1, 1)


def test_the_team_and_outsiders_do_not_review(
    enrolled, learner, peer_step, educator, outsider, other_course_educator
):
    work = make_peer_submission(learner, peer_step)

    for person in (educator, outsider, other_course_educator):
        with pytest.raises(NotAllowed):
            reserve_work(user=person, step=peer_step)
        with pytest.raises(NotAllowed):
            give_review(reviewer=person, submission=work, answers=ANSWERS)
    assert not PeerReview.objects.exists()


# --- Reports and moderation ------------------------------------------------------------------


@pytest.fixture
def reviewed(enrolled, learner, other_learner, peer_step):
    """The learner's work, reviewed by the other learner, who has it reserved no more."""
    make_peer_submission(learner, peer_step)
    make_peer_submission(other_learner, peer_step)
    return review(other_learner, peer_step)


def test_the_reviewer_reports_the_work_and_its_author_reports_the_review_once_each(
    reviewed, learner, other_learner
):
    work = reviewed.submission

    services.report(reporter=other_learner, submission=work, reason="Copied from a newspaper.")
    services.report(reporter=learner, submission=work, review=reviewed, reason="Rude.")

    assert PeerReport.objects.count() == 2
    with pytest.raises(AlreadyReported):
        services.report(reporter=other_learner, submission=work, reason="Again.")
    with pytest.raises(AlreadyReported):
        services.report(reporter=learner, submission=work, review=reviewed, reason="Again.")


def test_only_those_shown_something_may_report_it(
    reviewed, learner, other_learner, course, educator, outsider
):
    work = reviewed.submission
    stranger = make_user("stranger@example.org")
    enrol(user=stranger, course=course)

    with pytest.raises(NotFound):  # never shown the work
        services.report(reporter=stranger, submission=work, reason="Spam")
    with pytest.raises(NotFound):  # one's own work
        services.report(reporter=learner, submission=work, reason="Spam")
    with pytest.raises(NotFound):  # a review of someone else's work
        services.report(reporter=other_learner, submission=work, review=reviewed, reason="x")
    for person in (educator, outsider):
        with pytest.raises(NotAllowed):
            services.report(reporter=person, submission=work, reason="Spam")
    with pytest.raises(Invalid, match="reason"):
        services.report(reporter=other_learner, submission=work, reason="   ")
    assert not PeerReport.objects.exists()


def test_hiding_work_takes_it_out_of_allocation_and_tells_its_author(
    enrolled, learner, other_learner, peer_step, educator, course
):
    work = make_peer_submission(other_learner, peer_step)
    make_peer_submission(learner, peer_step)
    assert reserve_work(user=learner, step=peer_step) is not None
    services.report(reporter=learner, submission=work, reason="Spam")

    services.hide_work(moderator=educator, submission=work, reason="Not about a news story.")

    work.refresh_from_db()
    assert work.hidden_at is not None and work.assigned == 0
    assert not PeerAllocation.objects.exists()
    assert PeerReport.objects.get().resolved_at is not None
    note = Notification.objects.get(recipient=other_learner, kind="moderation")
    assert "Not about a news story." in note.text and note.step == peer_step
    assert reserve_work(user=learner, step=peer_step) is None
    with pytest.raises(NothingToDo):
        services.hide_work(moderator=educator, submission=work, reason="Again")

    services.restore_work(moderator=educator, submission=work)
    assert reserve_work(user=learner, step=peer_step) is not None


def test_a_hidden_review_no_longer_counts_so_the_work_is_offered_again(reviewed, educator, learner):
    work = reviewed.submission
    assert counts(work) == (1, 1)

    services.hide_review(moderator=educator, review=reviewed, reason="Unkind.")

    assert counts(work) == (0, 0)
    reviewed.refresh_from_db()
    assert reviewed.hidden_at is not None and reviewed.hidden_reason == "Unkind."
    assert Notification.objects.filter(recipient=reviewed.reviewer, kind="moderation").exists()

    services.restore_review(moderator=educator, review=reviewed)
    assert counts(work) == (1, 1)


def test_dismissing_reports_resolves_them_and_changes_nothing_else(reviewed, learner, educator):
    work = reviewed.submission
    services.report(reporter=learner, submission=work, review=reviewed, reason="Rude.")

    assert services.dismiss_reports(moderator=educator, submission=work, review=reviewed) == 1

    assert PeerReport.objects.get().resolved_at is not None
    assert counts(work) == (1, 1)
    with pytest.raises(NothingToDo):
        services.dismiss_reports(moderator=educator, submission=work, review=reviewed)


def test_only_the_course_team_moderates(reviewed, learner, other_course_educator):
    work = reviewed.submission
    for person in (learner, other_course_educator):
        with pytest.raises(NotAllowed, match="Only this course's team"):
            services.hide_work(moderator=person, submission=work, reason="x")
        with pytest.raises(NotAllowed):
            services.hide_review(moderator=person, review=reviewed, reason="x")
        with pytest.raises(NotAllowed):
            services.dismiss_reports(moderator=person, submission=work)
    assert PeerSubmission.objects.get(pk=work.pk).hidden_at is None


def test_another_course_s_peer_step_is_its_own(learner):
    other = make_course("other-course")
    enrol(user=learner, course=other)
    step = make_peer_step(other)

    work = submit_work(user=learner, step=step, text=peer_text(20))

    assert work.run.course == other
