"""Peer review on its step page: writing, reviewing and reporting with plain forms, the course
team's list, the moderation queue's section, notifications, refusals and query counts."""

import datetime

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from stoa.assessments.models import PeerAllocation, PeerReport, PeerReview, PeerSubmission
from stoa.assessments.peer import services
from stoa.conversation.models import Notification
from stoa.conversation.notifications.services import send_daily_digests
from stoa.testing import (
    expect_queries,
    make_peer_reviews,
    make_peer_submission,
    make_peer_submissions,
    peer_text,
    signed_in,
    step_of,
)

pytestmark = pytest.mark.django_db

ANSWERS = {"answer-1": "Yes, in the headline.", "answer-2": "Not yet: say what it is out of."}


def url(name: str, step, *args) -> str:
    return reverse(
        f"peer:{name}", args=[step.week.course.slug, step.week.number, step.position, *args]
    )


def page_of(client: Client, step) -> str:
    response = client.get(step.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


# --- Writing work ----------------------------------------------------------------------------


def test_a_visitor_sees_the_instructions_and_is_invited_to_join_but_cannot_submit(
    client, peer_step
):
    page = page_of(client, peer_step)

    assert "Choose a news story that rests on a number" in page
    assert "How this peer review works" in page and "Is the claim clear?" in page
    assert "to take part: write your own work" in page and ">Join the course</a>" in page
    assert 'name="text"' not in page

    response = client.post(url("work", peer_step), {"text": peer_text(30), "action": "submit"})
    assert response.status_code == 302 and "/accounts/signin/" in response["Location"]
    assert not PeerSubmission.objects.exists()


def test_a_learner_saves_a_draft_and_finds_it_in_the_box(enrolled, learner, peer_step):
    client = signed_in(learner)
    page = page_of(client, peer_step)
    assert '<label class="field__label" for="peer-text">Write your work here</label>' in page
    assert "At least 20 words." in page and "it cannot be changed" in page

    response = client.post(url("work", peer_step), {"text": "My first go.", "action": "draft"})

    assert response["Location"] == peer_step.get_absolute_url() + "#peer-work"
    page = page_of(client, peer_step)
    assert ">My first go.</textarea>" in page and ": 3 words." in page
    assert PeerSubmission.objects.get().submitted_at is None


def test_work_too_short_to_submit_comes_back_with_what_was_typed_and_why(
    enrolled, learner, peer_step
):
    client = signed_in(learner)
    typed = "Only a few words <b>here</b>."

    response = client.post(url("work", peer_step), {"text": typed, "action": "submit"})

    assert response.status_code == 400
    page = response.content.decode()
    assert "Your work has 5 words; write at least 20 before submitting it." in page
    assert ">Only a few words &lt;b&gt;here&lt;/b&gt;.</textarea>" in page
    assert 'class="error-summary"' in page
    assert not PeerSubmission.objects.exists()


def test_submitted_work_is_shown_read_only_with_its_date(enrolled, learner, peer_step):
    client = signed_in(learner)
    text = peer_text(20) + "\n\n<script>alert(1)</script> & more"

    response = client.post(url("work", peer_step), {"text": text, "action": "submit"})

    assert response["Location"] == peer_step.get_absolute_url() + "#peer-reviewing"
    page = page_of(client, peer_step)
    assert 'name="text"' not in page and "Submitted on " in page and "22 words" in page
    assert "<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; more</p>" in page
    assert "<script>alert(1)" not in page
    again = client.post(url("work", peer_step), {"text": "Changed", "action": "draft"}, follow=True)
    assert "it can no longer be changed" in again.content.decode()
    assert PeerSubmission.objects.get().text.endswith("& more")


def test_writing_too_often_comes_back_with_the_text_and_a_retry_after(enrolled, learner, peer_step):
    client = signed_in(learner)
    for n in range(services.WRITES.limit):
        client.post(url("work", peer_step), {"text": f"Draft {n}", "action": "draft"})

    response = client.post(url("work", peer_step), {"text": "Keep me", "action": "draft"})

    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert ">Keep me</textarea>" in response.content.decode()


def test_nobody_outside_the_course_and_not_the_team_submits(
    peer_step, outsider, educator, other_course_educator
):
    for person, message in (
        (outsider, b"Join the course"),
        (other_course_educator, b"Join the course"),
        (educator, b"only learners answer"),
    ):
        response = signed_in(person).post(url("work", peer_step), {"text": peer_text(20)})
        assert response.status_code == 403 and message in response.content
    assert not PeerSubmission.objects.exists()


def test_a_locked_peer_step_shows_nothing_and_takes_nothing(enrolled, learner, locked_peer_step):
    client = signed_in(learner)

    assert 'id="peer-review"' not in page_of(client, locked_peer_step)
    response = client.post(url("work", locked_peer_step), {"text": peer_text(20)})
    assert response.status_code == 403
    assert client.post(url("start", locked_peer_step)).status_code == 403
    assert not PeerSubmission.objects.exists()


def test_a_step_that_is_not_peer_review_has_none(enrolled, learner, course):
    article = step_of(course, 1, 2)
    client = signed_in(learner)

    assert 'id="peer-review"' not in page_of(client, article)
    assert client.post(url("work", article), {"text": peer_text(20)}).status_code == 404
    assert client.post(url("start", article)).status_code == 404


def test_the_forms_take_posts_only(enrolled, learner, peer_step):
    client = signed_in(learner)
    for name in ("work", "start"):
        assert client.get(url(name, peer_step)).status_code == 405


# --- Reviewing -------------------------------------------------------------------------------


@pytest.fixture
def submitted(enrolled, learner, other_learner, peer_step):
    """Both learners have submitted their work; the learner's is the newer."""
    theirs = make_peer_submission(other_learner, peer_step, ago=datetime.timedelta(hours=1))
    make_peer_submission(learner, peer_step)
    return theirs


def test_a_learner_takes_work_to_review_and_reviews_it_with_a_box_per_question(
    submitted, learner, other_learner, peer_step
):
    client = signed_in(learner)
    page = page_of(client, peer_step)
    assert "0 of 2 reviews given" in page and "Review someone's work" in page

    response = client.post(url("start", peer_step))

    assert response["Location"] == peer_step.get_absolute_url() + "#peer-reviewing"
    page = page_of(client, peer_step)
    assert "Work by Robin Other" in page and submitted.text in page
    assert '<label class="field__label" for="peer-answer-1">Is the claim clear?</label>' in page
    assert '<label class="field__label" for="peer-answer-2">Is the number put in context?' in page

    response = client.post(url("review", peer_step, submitted.pk), ANSWERS)

    assert response.status_code == 302
    review = PeerReview.objects.get()
    assert review.answers == list(ANSWERS.values()) and review.reviewer == learner
    page = page_of(client, peer_step)
    assert "1 of 2 reviews given" in page
    assert "No work is waiting for review right now; come back later." in page

    theirs = page_of(signed_in(other_learner), peer_step)
    assert "Review by Lee Learner" in theirs and "Not yet: say what it is out of." in theirs
    assert "Report this review" in theirs


def test_a_review_with_a_missing_answer_comes_back_with_the_answers_typed(
    submitted, learner, peer_step
):
    client = signed_in(learner)
    client.post(url("start", peer_step))

    response = client.post(
        url("review", peer_step, submitted.pk), {"answer-1": "Yes <i>clearly</i>", "answer-2": ""}
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "Answer question 2 of the review." in page
    assert ">Yes &lt;i&gt;clearly&lt;/i&gt;</textarea>" in page
    assert submitted.text in page  # the work they are reviewing, beside the form
    assert not PeerReview.objects.exists()


def test_nobody_reviews_work_of_another_run_their_own_or_for_the_team(
    submitted, learner, other_run_learner, educator, peer_step
):
    mine = PeerSubmission.objects.get(user=learner)
    make_peer_submission(other_run_learner, peer_step)

    other_run = signed_in(other_run_learner)
    assert other_run.post(url("review", peer_step, mine.pk), ANSWERS).status_code == 404
    assert signed_in(learner).post(url("review", peer_step, mine.pk), ANSWERS).status_code == 404
    assert signed_in(educator).post(url("review", peer_step, mine.pk), ANSWERS).status_code == 403
    assert signed_in(learner).post(url("review", peer_step, 999999), ANSWERS).status_code == 404
    assert not PeerReview.objects.exists()


def test_with_no_work_waiting_the_learner_is_told_kindly(enrolled, learner, peer_step):
    make_peer_submission(learner, peer_step)
    client = signed_in(learner)

    assert "No work is waiting for review right now" in page_of(client, peer_step)
    response = client.post(url("start", peer_step), follow=True)
    assert "No work is waiting for review right now" in response.content.decode()
    assert not PeerAllocation.objects.exists()


def test_before_submitting_the_learner_is_told_reviewing_comes_next(enrolled, learner, peer_step):
    page = page_of(signed_in(learner), peer_step)

    assert "Once you have submitted your work, you will review 2 other learners" in page
    assert "Reviews of your work" not in page


# --- Reviews received, reports and hiding ----------------------------------------------------


def test_the_author_reports_a_review_and_a_hidden_review_vanishes_from_their_page(
    enrolled, learner, peer_step, educator
):
    work = make_peer_submission(learner, peer_step)
    (review,) = make_peer_reviews(work, 1)
    client = signed_in(learner)
    report_url = url("report_review", peer_step, review.pk)
    assert report_url in page_of(client, peer_step)

    form = client.get(report_url).content.decode()
    assert "Why are you reporting this review?" in form and review.answers[0] in form
    assert client.post(report_url, {"reason": ""}).status_code == 200  # the form, with why
    response = client.post(report_url, {"reason": "It is rude."})

    assert response["Location"] == peer_step.get_absolute_url() + "#peer-received"
    assert PeerReport.objects.get().review == review
    assert "You have reported this review." in page_of(client, peer_step)
    assert "already reported" in client.get(report_url).content.decode()

    services.hide_review(moderator=educator, review=review, reason="Rude.")
    page = page_of(client, peer_step)
    assert review.answers[0] not in page and "No reviews yet" in page


def test_the_reviewer_reports_the_work_they_are_given(submitted, learner, peer_step):
    client = signed_in(learner)
    client.post(url("start", peer_step))
    report_url = url("report_work", peer_step, submitted.pk)
    assert report_url in page_of(client, peer_step)

    client.post(report_url, {"reason": "Copied from a newspaper."})

    assert PeerReport.objects.get().submission == submitted
    assert "You have reported this work." in page_of(client, peer_step)


def test_only_those_shown_work_or_a_review_reach_its_report_page(
    submitted, learner, other_learner, outsider, educator, peer_step
):
    mine = PeerSubmission.objects.get(user=learner)
    (review,) = make_peer_reviews(mine, 1)

    # The other learner was never given the learner's work, nor is the review of it theirs.
    other = signed_in(other_learner)
    assert other.get(url("report_work", peer_step, mine.pk)).status_code == 404
    assert other.get(url("report_review", peer_step, review.pk)).status_code == 404
    assert signed_in(outsider).get(url("report_work", peer_step, mine.pk)).status_code == 403
    assert signed_in(educator).get(url("report_work", peer_step, mine.pk)).status_code == 403
    assert not PeerReport.objects.exists()


def test_hidden_work_shows_its_author_the_reason(enrolled, learner, peer_step, educator):
    work = make_peer_submission(learner, peer_step)
    services.hide_work(moderator=educator, submission=work, reason="Off topic.")

    page = page_of(signed_in(learner), peer_step)

    assert "A moderator hid your work from other learners. Reason: Off topic." in page
    assert work.text in page


# --- The course team -------------------------------------------------------------------------


def test_the_team_reads_every_submission_with_its_reviews_and_hidden_ones_marked(
    enrolled, learner, other_learner, peer_step, educator
):
    work = make_peer_submission(learner, peer_step)
    make_peer_submission(other_learner, peer_step, submitted=False)  # a draft: not listed
    (review,) = make_peer_reviews(work, 1)
    services.hide_review(moderator=educator, review=review, reason="Unkind.")

    page = page_of(signed_in(educator), peer_step)

    assert "Learners' work" in page and "Work by Lee Learner" in page
    assert "Work by Robin Other" not in page
    assert work.text in page and review.answers[1] in page
    assert "Hidden by a moderator. Reason shown to the reviewer: Unkind." in page
    assert 'name="text"' not in page and url("start", peer_step) not in page


def test_the_team_pages_through_older_work(enrolled, peer_step, educator, course):
    make_peer_submissions(peer_step, course.runs.get(), 25)
    client = signed_in(educator)

    first = page_of(client, peer_step)
    assert first.count('class="peer-card"') == 20 and "Older work" in first
    older = first.split('href="?before=')[1].split("#")[0]

    response = client.get(peer_step.get_absolute_url() + f"?before={older}")
    assert response.content.decode().count('class="peer-card"') == 5
    assert client.get(peer_step.get_absolute_url() + "?before=nonsense").status_code == 400


# --- Moderation ------------------------------------------------------------------------------


def test_reported_work_appears_in_the_moderation_queue_where_the_team_hides_and_restores_it(
    submitted, learner, educator, peer_step, course
):
    client = signed_in(learner)
    client.post(url("start", peer_step))
    client.post(url("report_work", peer_step, submitted.pk), {"reason": "Spam link."})
    team = signed_in(educator)
    queue_url = reverse("moderation:queue", args=[course.slug])

    queue = team.get(queue_url).content.decode()
    assert "Peer review: reported work" in queue and "Spam link." in queue
    assert "Work by Robin Other" in queue

    hide = reverse("peer:hide_work", args=[course.slug, submitted.pk])
    assert team.post(hide, {"reason": ""}).status_code == 400
    response = team.post(hide, {"reason": "Advertising."})

    assert response["Location"] == queue_url + "#peer-moderation"
    submitted.refresh_from_db()
    assert submitted.hidden_at is not None and submitted.hidden_reason == "Advertising."
    queue = team.get(queue_url).content.decode()
    assert "No peer-review work or reviews are waiting" in queue and "Restore work" in queue

    team.post(reverse("peer:restore_work", args=[course.slug, submitted.pk]))
    submitted.refresh_from_db()
    assert submitted.hidden_at is None


def test_dismissing_a_report_keeps_the_review(enrolled, learner, peer_step, educator, course):
    work = make_peer_submission(learner, peer_step)
    (review,) = make_peer_reviews(work, 1)
    services.report(reporter=learner, submission=work, review=review, reason="Unfair.")

    response = signed_in(educator).post(
        reverse("peer:dismiss_review", args=[course.slug, review.pk]), follow=True
    )

    assert "Reports on" in response.content.decode()
    assert PeerReport.objects.get().resolved_at is not None
    assert PeerReview.objects.get().hidden_at is None


def test_only_the_team_moderates_peer_review(submitted, learner, other_course_educator, course):
    for person in (learner, other_course_educator):
        client = signed_in(person)
        for name in ("hide_work", "restore_work", "dismiss_work"):
            response = client.post(
                reverse(f"peer:{name}", args=[course.slug, submitted.pk]), {"reason": "x"}
            )
            assert response.status_code == 403
    assert PeerSubmission.objects.get(pk=submitted.pk).hidden_at is None


def test_a_course_without_peer_review_has_no_such_section_in_its_queue(educator, course):
    from stoa.courses.models import Step

    Step.objects.filter(week__course=course, type="peer-review").delete()
    queue = signed_in(educator).get(reverse("moderation:queue", args=[course.slug]))

    assert "Peer review: reported work" not in queue.content.decode()


# --- Notifications ---------------------------------------------------------------------------


def test_the_author_hears_of_a_review_on_the_activity_page_and_in_the_digest(
    submitted, learner, other_learner, peer_step
):
    client = signed_in(learner)
    client.post(url("start", peer_step))
    client.post(url("review", peer_step, submitted.pk), ANSWERS)
    note = Notification.objects.get(recipient=other_learner)

    theirs = signed_in(other_learner)
    activity = theirs.get(reverse("notifications:activity")).content.decode()
    assert "Lee Learner reviewed your work" in activity
    assert f"On step {peer_step.number} Review a news story, Reading Data in the News" in activity
    opened = theirs.get(reverse("notifications:open", args=[note.pk]))
    assert opened["Location"] == peer_step.get_absolute_url() + "#peer-review"

    other_learner.daily_digest = True
    other_learner.save(update_fields=["daily_digest"])
    Notification.objects.update(read_at=None, created_at=timezone.now())
    assert send_daily_digests.call() == 1
    (email,) = mail.outbox
    assert "Lee Learner reviewed your work, on step" in email.body
    assert "Review a news story" in email.alternatives[0][0]


# --- Query counts ----------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 30])
def test_the_learner_s_peer_review_runs_the_same_queries_for_1_review_as_for_30(
    enrolled, learner, other_learner, peer_step, course, django_assert_num_queries, count
):
    work = make_peer_submission(learner, peer_step)
    make_peer_reviews(work, count)
    theirs = make_peer_submission(other_learner, peer_step)
    PeerAllocation.objects.create(
        reviewer=learner,
        step=peer_step,
        submission=theirs,
        reserved_until=timezone.now() + datetime.timedelta(minutes=5),
    )
    client = signed_in(learner)
    page_url = peer_step.get_absolute_url()
    client.get(page_url)  # the first visit also writes the visit's row

    page = expect_queries(client, django_assert_num_queries, page_url, LEARNER_QUERIES)

    content = page.content.decode()
    assert content.count("Review by ") == count and "Work by Robin Other" in content


@pytest.mark.parametrize("count", [1, 30])
def test_the_team_s_list_runs_the_same_queries_for_1_submission_as_for_30(
    enrolled, peer_step, educator, course, django_assert_num_queries, count
):
    for work in make_peer_submissions(peer_step, course.runs.get(), count):
        make_peer_reviews(work, 2)
    client = signed_in(educator)
    page_url = peer_step.get_absolute_url()
    client.get(page_url)  # the first page of the course in this process builds its structure

    page = expect_queries(client, django_assert_num_queries, page_url, TEAM_QUERIES)

    # Each piece of work, and its two reviewers' own (make_peer_reviews has them submit too).
    assert page.content.decode().count('class="peer-card"') == min(3 * count, 20)


def test_peer_review_pages_cost_the_same_with_10000_learners_and_submissions(
    enrolled, learner, educator, peer_step, course, django_assert_num_queries
):
    make_peer_submission(learner, peer_step)
    work = make_peer_submissions(peer_step, course.runs.get(), 10_000)
    PeerAllocation.objects.create(
        reviewer=learner,
        step=peer_step,
        submission=work[0],
        reserved_until=timezone.now() + datetime.timedelta(minutes=5),
    )
    learner_client, team_client = signed_in(learner), signed_in(educator)
    page_url = peer_step.get_absolute_url()
    learner_client.get(page_url)
    team_client.get(page_url)

    learner_page = expect_queries(
        learner_client, django_assert_num_queries, page_url, LEARNER_QUERIES
    )
    team_page = expect_queries(team_client, django_assert_num_queries, page_url, TEAM_QUERIES)

    assert "Work by Author 0" in learner_page.content.decode()
    assert team_page.content.decode().count('class="peer-card"') == 20


# The step page (as test_poll_views.py counts it, less the poll's two; the step's peer-review
# settings come with the course's structure) and peer review's own:
# the learner's work, reviews given, the work reserved for them, the reviews of their work,
# their reports. The team's step page has no enrolment to read or visit to write, and peer
# review's two: a page of work, then those works' first reviews. None of them counts rows.
LEARNER_QUERIES = 3 + 5
TEAM_QUERIES = 4 + 2


def test_the_to_do_list_shows_where_the_learner_is_with_peer_review(
    enrolled, learner, other_learner, peer_step, course
):
    todo = reverse("learning:todo", args=[course.slug])
    client = signed_in(learner)
    row = f">{peer_step.title}</a>"
    assert "Not started" in client.get(todo).content.decode().split(row)[1][:400]

    services.save_draft(user=learner, step=peer_step, text=peer_text(5))
    assert "Draft saved" in client.get(todo).content.decode().split(row)[1][:400]

    make_peer_submission(other_learner, peer_step)
    services.submit_work(user=learner, step=peer_step, text=peer_text(30))
    after = client.get(todo).content.decode().split(row)[1][:400]
    assert "Submitted · 0 of 2 reviews given" in after
