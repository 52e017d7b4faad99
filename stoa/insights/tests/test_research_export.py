"""The research data's exports: every dataset's header and rows for a run whose learners did
things through the services, the pseudonyms, what an import brought in coming back out as it
came, the Data tab and its downloads (who may, garbage, queries, streaming), and `stoa data
export`."""

import csv
import datetime
import io
import uuid
import zipfile

import pytest
from django.core.management import CommandError, call_command
from django.http import StreamingHttpResponse
from django.test import Client
from django.urls import reverse

from stoa.accounts.models import LearnerProfile
from stoa.assessments.peer.services import give_review, reserve_work, submit_work
from stoa.assessments.questions.services import answer_question
from stoa.conversation.comments.services import delete_comment, post_comment, toggle_like
from stoa.conversation.moderation.services import hide_comment, report_comment
from stoa.courses.models import CourseTeamMember, StepType, TeamRole
from stoa.insights.models import ImportedRow, Pseudonym
from stoa.insights.research import export
from stoa.learning import services as learning
from stoa.learning.models import (
    Archetype,
    ArchetypeResponse,
    Enrolment,
    LeavingReason,
    LeavingResponse,
    SentimentResponse,
    StepCompletion,
    StepVisit,
    VideoTally,
)
from stoa.testing import (
    expect_queries,
    make_learners,
    make_peer_step,
    make_questions_step,
    make_run,
    make_user,
    peer_text,
    signed_in,
    step_of,
)

pytestmark = pytest.mark.django_db

# The header lines as the issue gives them, byte for byte.
HEADERS = {
    "enrolments": "learner_id,enrolled_at,unenrolled_at,role,fully_participated_at,"
    "purchased_statement_at,gender,country,age_range,highest_education_level,"
    "employment_status,employment_area,detected_country",
    "step-activity": "learner_id,step,week_number,step_number,first_visited_at,last_completed_at",
    "comments": "id,author_id,parent_id,step,week_number,step_number,text,timestamp,likes,"
    "first_reported_at,first_reported_reason,moderation_state,moderated",
    "question-response": "learner_id,quiz_question,question_type,week_number,step_number,"
    "question_number,response,cloze_response,submitted_at,correct",
    "peer-review-assignments": "id,step,week_number,step_number,author_id,text,"
    "first_viewed_at,submitted_at,moderated,review_count",
    "peer-review-reviews": "id,step,week_number,step_number,reviewer_id,assignment_id,"
    "guideline_one_feedback,guideline_two_feedback,guideline_three_feedback,created_at",
    "team-members": "id,first_name,last_name,team_role,user_role",
    "video-stats": "step_position,title,video_duration,total_views,total_downloads,"
    "total_caption_views,total_transcript_views,viewed_hd,viewed_five_percent,"
    "viewed_ten_percent,viewed_twentyfive_percent,viewed_fifty_percent,"
    "viewed_seventyfive_percent,viewed_ninetyfive_percent,viewed_onehundred_percent,"
    "console_device_percentage,desktop_device_percentage,mobile_device_percentage,"
    "tv_device_percentage,tablet_device_percentage,unknown_device_percentage,"
    "europe_views_percentage,oceania_views_percentage,asia_views_percentage,"
    "north_america_views_percentage,south_america_views_percentage,"
    "africa_views_percentage,antarctica_views_percentage",
    "leaving-survey-responses": "id,learner_id,left_at,leaving_reason,last_completed_step_at,"
    "last_completed_step,last_completed_week_number,last_completed_step_number",
    "weekly-sentiment-survey-responses": "id,responded_at,week_number,experience_rating,reason",
    "archetype-survey-responses": "id,learner_id,responded_at,archetype",
}

# A time as the datasets write it, for the rows written with it.
AT = datetime.datetime(2016, 9, 5, 11, 41, 7, tzinfo=datetime.UTC)
AT_TEXT = "2016-09-05 11:41:07 UTC"


def t(moment: datetime.datetime | None) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if moment else ""


def text_of(run, dataset: str) -> str:
    stream = io.StringIO(newline="")
    export.write_csv(run, dataset, stream)
    return stream.getvalue()


def rows_of(run, dataset: str) -> list[list[str]]:
    """The dataset's rows, read back as analysis scripts read them (header checked)."""
    header, *rows = csv.reader(io.StringIO(text_of(run, dataset), newline=""))
    assert header == HEADERS[dataset].split(",")
    return rows


def learner_id(user, course) -> str:
    return str(Pseudonym.objects.get(user=user, course=course).learner_id)


@pytest.fixture
def research_run(course, learner, other_learner, educator):
    """A run where things happened, each through the service that does it: Lee, Robin and
    the lead educator join; Lee visits 1.1 and 1.2, completes 1.2 and 1.3 (without visiting
    it), starts a thread on 1.2 that Robin likes, reports and replies to (the reply is hidden
    by the educator), writes a comment and deletes it, answers a quiz's choose-many question
    with options 1 and 3, and submits peer-review work that Robin reviews; Robin leaves
    (saying why), Lee answers the weekly and joining surveys; the video step has a tally."""
    run = course.runs.get()
    quiz = make_questions_step(course, type=StepType.QUIZ, week=1, questions=2)  # 1.4
    peer = make_peer_step(course, week=1, min_words=20, reviews_required=1)  # 1.5
    lee = learning.enrol(user=learner, course=course)
    robin = learning.enrol(user=other_learner, course=course)
    ana = learning.enrol(user=educator, course=course)
    lee = Enrolment.objects.select_related("run").get(pk=lee.pk)
    learning.record_visit(enrolment=lee, step=step_of(course, 1, 1))
    lee.refresh_from_db()
    learning.record_visit(enrolment=lee, step=step_of(course, 1, 2))
    learning.complete_step(enrolment=lee, step=step_of(course, 1, 2))
    learning.complete_step(enrolment=lee, step=step_of(course, 1, 3))
    Enrolment.objects.filter(pk=lee.pk).update(fully_participated_at=AT)
    LearnerProfile.objects.create(
        user=learner,
        gender=LearnerProfile.Gender.FEMALE,
        country="GB",
        age_range=LearnerProfile.AgeRange.FROM_26,
        highest_education_level=LearnerProfile.Education.PREFER_NOT,
    )

    on = step_of(course, 1, 2)
    thread = post_comment(author=learner, step=on, run=run, text="Is the axis at zero?")
    toggle_like(user=other_learner, comment=thread)
    report_comment(reporter=other_learner, comment=thread, reason="Looks wrong to me")
    reply = post_comment(author=other_learner, step=on, run=run, text="Yes.", parent=thread)
    hide_comment(moderator=educator, comment=reply, reason="Off topic")
    gone = post_comment(author=learner, step=on, run=run, text="Never mind, said twice.")
    delete_comment(comment=gone, user=learner)

    answer_question(user=learner, step=quiz, position=2, choices=[1, 3], attempt=1)

    work = submit_work(user=learner, step=peer, text=peer_text(30))
    submit_work(user=other_learner, step=peer, text=peer_text(25, topic="averages"))
    reserve_work(user=other_learner, step=peer)
    review = give_review(reviewer=other_learner, submission=work, answers=["Clear", "Yes"])

    robin = Enrolment.objects.get(pk=robin.pk)
    learning.leave(enrolment=robin)
    leaving = LeavingResponse.objects.create(
        enrolment=robin,
        left_at=AT,
        reason=LeavingReason.TOO_HARD,
        last_completed_step=peer,
        last_completed_step_at=AT - datetime.timedelta(days=1),
    )
    sentiment = SentimentResponse.objects.create(
        run=run, enrolment=lee, week=1, rating=3, reason="Clear, charts", responded_at=AT
    )
    archetype = ArchetypeResponse.objects.create(
        enrolment=lee, archetype=Archetype.EXPLORERS, responded_at=AT
    )
    VideoTally.objects.create(
        run=run,
        step=step_of(course, 1, 1),
        views=16,
        downloads=2,
        caption_views=3,
        transcript_views=1,
        hd_views=4,
        reached_5=15,
        reached_10=14,
        reached_25=12,
        reached_50=8,
        reached_75=6,
        reached_95=5,
        reached_100=3,
        desktop_views=12,
        mobile_views=4,
    )
    return {
        "run": run,
        "lee": Enrolment.objects.get(pk=lee.pk),
        "robin": Enrolment.objects.get(pk=robin.pk),
        "ana": Enrolment.objects.get(pk=ana.pk),
        "thread": thread,
        "reply": reply,
        "gone": gone,
        "work": work,
        "review": review,
        "leaving": leaving,
        "sentiment": sentiment,
        "archetype": archetype,
    }


# --- Headers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("dataset", list(HEADERS))
def test_each_dataset_starts_with_its_header_line(course, dataset):
    text = text_of(course.runs.get(), dataset)
    assert text.startswith(HEADERS[dataset] + "\n")
    assert "\r" not in text


@pytest.mark.parametrize("dataset", list(HEADERS))
def test_each_downloaded_file_starts_with_its_header_line(course, educator, dataset):
    run = course.runs.get()
    response = signed_in(educator).get(reverse("research:csv", args=[course.slug, run.pk, dataset]))
    assert b"".join(response.streaming_content).startswith(HEADERS[dataset].encode() + b"\n")


# --- Rows ------------------------------------------------------------------------------------


def test_enrolments(course, research_run, learner, other_learner, educator):
    lee, robin, ana = research_run["lee"], research_run["robin"], research_run["ana"]
    assert rows_of(research_run["run"], "enrolments") == [
        [
            learner_id(learner, course),
            t(lee.joined_at),
            "",
            "learner",
            AT_TEXT,
            "",
            "female",
            "GB",
            "26-35",
            "Unknown",  # prefer not to say
            "Unknown",  # not answered
            "Unknown",
            "",
        ],
        [
            learner_id(other_learner, course),
            t(robin.joined_at),
            t(robin.left_at),
            "learner",
            "",
            "",
            *["Unknown"] * 6,  # no profile
            "",
        ],
        [
            learner_id(educator, course),
            t(ana.joined_at),
            "",
            "lead-educator",
            "",
            "",
            *["Unknown"] * 6,
            "",
        ],
    ]
    assert robin.left_at is not None


def test_step_activity(course, research_run, learner):
    lee = research_run["lee"]
    visits = {v.step.number: v for v in StepVisit.objects.filter(enrolment=lee)}
    done = {c.step.number: c for c in StepCompletion.objects.filter(enrolment=lee)}
    every = rows_of(research_run["run"], "step-activity")
    lee_id = learner_id(learner, course)
    rows = [row for row in every if row[0] == lee_id]
    assert rows == [
        [lee_id, "1.1", "1", "1", t(visits["1.1"].first_visited_at), ""],
        [lee_id, "1.2", "1", "2", t(visits["1.2"].first_visited_at), t(done["1.2"].completed_at)],
        [lee_id, "1.3", "1", "3", "", t(done["1.3"].completed_at)],  # completed, never visited
    ]


def test_comments_with_replies_likes_reports_and_moderation(
    course, research_run, learner, other_learner
):
    thread, reply, gone = research_run["thread"], research_run["reply"], research_run["gone"]
    reply.refresh_from_db()
    gone.refresh_from_db()
    report = thread.reports.get()
    rows = rows_of(research_run["run"], "comments")
    lee, robin = learner_id(learner, course), learner_id(other_learner, course)
    assert rows == [
        [
            str(thread.pk),
            lee,
            "",
            "1.2",
            "1",
            "2",
            "Is the axis at zero?",
            t(thread.created_at),
            "1",
            t(report.created_at),
            "Looks wrong to me",
            "",
            "",
        ],
        [
            str(reply.pk),
            robin,
            str(thread.pk),
            *("1.2", "1", "2", "Yes."),
            t(reply.created_at),
            "0",
            "",
            "",
            "hidden",
            t(reply.hidden_at),
        ],
        [
            str(gone.pk),
            lee,
            "",
            "1.2",
            "1",
            "2",
            "",
            t(gone.created_at),
            "0",
            "",
            "",
            "deleted",
            "",
        ],
    ]


def test_question_responses_quote_many_choices(course, research_run, learner):
    answer = learner.answers.get()
    assert rows_of(research_run["run"], "question-response") == [
        [
            learner_id(learner, course),
            "1.4.2",
            "MultipleChoice",
            "1",
            "4",
            "2",
            "1,3",
            "",
            t(answer.submitted_at),
            "true",
        ]
    ]
    assert ',"1,3",,' in text_of(research_run["run"], "question-response")


def test_peer_review_work_and_reviews(course, research_run, learner, other_learner):
    work, review = research_run["work"], research_run["review"]
    work.refresh_from_db()
    robins = other_learner.peer_submissions.get()
    rows = rows_of(research_run["run"], "peer-review-assignments")
    lee, robin = learner_id(learner, course), learner_id(other_learner, course)
    assert rows == [
        [
            str(work.pk),
            *("1.5", "1", "5"),
            lee,
            work.text,
            t(work.created_at),
            t(work.submitted_at),
            "",
            "1",
        ],
        [
            str(robins.pk),
            *("1.5", "1", "5"),
            robin,
            robins.text,
            t(robins.created_at),
            t(robins.submitted_at),
            "",
            "0",
        ],
    ]
    assert rows_of(research_run["run"], "peer-review-reviews") == [
        [
            str(review.pk),
            *("1.5", "1", "5"),
            robin,
            str(work.pk),
            "Clear",
            "Yes",
            "",  # the rubric has two lines
            t(review.created_at),
        ]
    ]


def test_team_members(course, research_run, educator):
    host = CourseTeamMember.objects.create(
        course=course, position=2, name="Kim", role=TeamRole.HOST
    )  # no account, one name
    assert rows_of(research_run["run"], "team-members") == [
        [learner_id(educator, course), "Dr", "Ana Lima", "lead-educator", "educator"],
        [
            str(uuid.uuid5(uuid.NAMESPACE_URL, f"stoa:team-member:{host.pk}")),
            "Kim",
            "",
            "host",
            "educator",
        ],
    ]


def test_video_stats_give_counts_and_shares_of_views(course, research_run):
    counts = ["16", "2", "3", "1"]
    shares = ["25.00", "93.75", "87.50", "75.00", "50.00", "37.50", "31.25", "18.75"]
    devices = ["0.00", "75.00", "25.00", "0.00", "0.00", "0.00"]
    continents = [""] * 7  # no GeoIP: no continent counted
    assert rows_of(research_run["run"], "video-stats") == [
        ["1.1", "Step 1.1", "", *counts, *shares, *devices, *continents]
    ]


def test_video_stats_of_a_video_nobody_watched_and_of_counted_continents(course):
    run = course.runs.get()
    assert rows_of(run, "video-stats") == [["1.1", "Step 1.1", "", "0", "0", "0", "0", *[""] * 21]]
    VideoTally.objects.create(
        run=run, step=step_of(course, 1, 1), views=3, europe_views=2, asia_views=1
    )
    row = rows_of(run, "video-stats")[0]
    assert row[-7:] == ["66.67", "0.00", "33.33", "0.00", "0.00", "0.00", "0.00"]


def test_surveys(course, research_run, learner, other_learner):
    leaving, sentiment = research_run["leaving"], research_run["sentiment"]
    run = research_run["run"]
    assert rows_of(run, "leaving-survey-responses") == [
        [
            str(leaving.pk),
            learner_id(other_learner, course),
            AT_TEXT,
            "The course was too hard",
            "2016-09-04 11:41:07 UTC",
            "1.5",
            "1",
            "5",
        ]
    ]
    assert rows_of(run, "weekly-sentiment-survey-responses") == [
        [str(sentiment.pk), AT_TEXT, "1", "3", "Clear, charts"]
    ]
    assert rows_of(run, "archetype-survey-responses") == [
        [str(research_run["archetype"].pk), learner_id(learner, course), AT_TEXT, "Explorers"]
    ]
    assert '"Clear, charts"' in text_of(run, "weekly-sentiment-survey-responses")


def test_another_run_s_rows_stay_out(course, research_run, other_run_learner):
    second = other_run_learner.enrolments.get().run
    for dataset in ("comments", "question-response", "peer-review-assignments"):
        assert rows_of(second, dataset) == []
    assert [row[0] for row in rows_of(second, "enrolments")] == [
        learner_id(other_run_learner, course)
    ]


def test_rows_are_read_in_batches_by_key(course, monkeypatch, django_assert_max_num_queries):
    """Small batches read every row once, in order: a batch is the rows after the last key."""
    run = course.runs.get()
    enrolments = make_learners(run, 7)
    monkeypatch.setattr(export, "BATCH", 3)
    monkeypatch.setattr(export, "LEARNERS_PER_BATCH", 2)
    done: list[int] = []
    ids = [row[0] for row in export.rows(run, "enrolments", progress=done.append)]
    assert ids == [learner_id(e.user, course) for e in enrolments]
    assert done == [3, 3, 1] and export.units(run, "enrolments") == 7
    for enrolment in enrolments:
        learning.complete_step(enrolment=enrolment, step=step_of(course, 1, 2))
    assert len(list(export.rows(run, "step-activity"))) == 7


# --- Pseudonyms ------------------------------------------------------------------------------


def test_learner_ids_are_stable_uuids_and_never_the_account(course, research_run):
    run = research_run["run"]
    first = rows_of(run, "enrolments")
    assert rows_of(run, "enrolments") == first
    response = signed_in(research_run["ana"].user).get(zip_url(course, run))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.read(f"{course.slug}_enrolments.csv").decode().splitlines()[1:] == [
        ",".join(row) for row in first
    ]
    people = [e.user for e in Enrolment.objects.filter(run=run).select_related("user")]
    pseudonyms = {learner_id(user, course) for user in people}
    assert {row[0] for row in first} == pseudonyms
    # Every column that names a person names them by pseudonym, in every file.
    for name in archive.namelist():
        text = archive.read(name).decode()
        for row in csv.DictReader(io.StringIO(text, newline="")):
            for column in ("learner_id", "author_id", "reviewer_id"):
                if column in row:
                    assert str(uuid.UUID(row[column])) == row[column]
                    assert row[column] in pseudonyms
        for user in people:
            assert user.email not in text
    assert all(str(user.pk) not in pseudonyms for user in people)


def test_a_learner_has_one_id_in_a_course_and_another_in_the_next(course, learner):
    other = make_run(course, started_days_ago=-30)
    learning.enrol(user=learner, course=course)
    first = rows_of(course.runs.get(pk=Enrolment.objects.get(user=learner).run_id), "enrolments")
    Enrolment.objects.filter(user=learner).update(run=other)
    assert rows_of(other, "enrolments")[0][0] == first[0][0]
    assert Pseudonym.objects.filter(user=learner).count() == 1


# --- What an import brought in ---------------------------------------------------------------


def test_imported_rows_come_back_with_their_ids_and_cells(
    course, research_run, learner, other_learner
):
    run = research_run["run"]
    thread, reply, work = research_run["thread"], research_run["reply"], research_run["work"]
    lee, robin = research_run["lee"], research_run["robin"]

    def imported(dataset, object_id, source_id="", **cells):
        ImportedRow.objects.create(
            run=run, dataset=dataset, object_id=object_id, source_id=source_id, cells=cells
        )

    imported("comments", thread.pk, "9001", moderation_state="approved", first_reported_reason="")
    imported("enrolments", lee.pk, role="organisation_admin", detected_country="GB", gender="x")
    imported("enrolments", robin.pk, listed=False)  # found only in the activity files
    imported("peer-review-assignments", work.pk, "777", first_viewed_at=AT_TEXT, moderated="")
    imported("peer-review-reviews", research_run["review"].pk, "555")
    imported("question-response", learner.answers.get().pk, cloze_response="three")
    LeavingResponse.objects.filter(pk=research_run["leaving"].pk).update(source_id=4242)
    ArchetypeResponse.objects.filter(pk=research_run["archetype"].pk).update(source_id=17)
    VideoTally.objects.filter(run=run).update(imported={"video_duration": "312", "viewed_hd": "9"})
    member = CourseTeamMember.objects.create(
        course=course, position=2, name="Kim Li", role="mentor"
    )
    imported("team-members", member.pk, "team-1", user_role="mentor", last_name="Li Wei")

    comments = {row[6]: row for row in rows_of(run, "comments")}
    assert comments["Is the axis at zero?"][0] == "9001"
    assert comments["Is the axis at zero?"][9:] == [
        t(thread.reports.get().created_at),
        "",
        "approved",
        "",
    ]
    assert comments["Yes."][0] == str(reply.pk) and comments["Yes."][2] == "9001"

    enrolments = rows_of(run, "enrolments")
    assert [row[0] for row in enrolments] == [
        learner_id(learner, course),
        learner_id(research_run["ana"].user, course),
    ]  # Robin's row was not listed, and "listed" is never a column
    assert enrolments[0][3] == "organisation_admin" and enrolments[0][6] == "x"
    assert enrolments[0][12] == "GB"
    # Robin's activity is still there.
    assert learner_id(other_learner, course) in {row[1] for row in rows_of(run, "comments")}

    assignments = {row[4]: row for row in rows_of(run, "peer-review-assignments")}
    assert assignments[learner_id(learner, course)][0] == "777"
    assert assignments[learner_id(learner, course)][6] == AT_TEXT
    [review] = rows_of(run, "peer-review-reviews")
    assert review[0] == "555" and review[5] == "777"
    assert rows_of(run, "question-response")[0][7] == "three"
    assert rows_of(run, "leaving-survey-responses")[0][0] == "4242"
    assert rows_of(run, "archetype-survey-responses")[0][0] == "17"
    video = rows_of(run, "video-stats")[0]
    assert video[2] == "312" and video[7] == "9" and video[8] == "93.75"
    team = rows_of(run, "team-members")
    assert team[1] == ["team-1", "Kim", "Li Wei", "mentor", "mentor"]


# --- The Data tab and its downloads ----------------------------------------------------------


def zip_url(course, run) -> str:
    return reverse("research:zip", args=[course.slug, run.pk])


def csv_url(course, run, dataset="enrolments") -> str:
    return reverse("research:csv", args=[course.slug, run.pk, dataset])


@pytest.fixture
def team(course):
    """A member of the course's team in each role but lead educator (the educator fixture)."""
    people = {}
    for position, role in enumerate([TeamRole.EDUCATOR, TeamRole.MENTOR, TeamRole.HOST], start=2):
        user = make_user(f"{role}@example.org", name=f"{role.label} person")
        CourseTeamMember.objects.create(
            course=course, position=position, name=user.display_name, role=role, user=user
        )
        people[role] = user
    return people


def test_the_data_tab_lists_each_run_with_its_files(course, educator, second_run):
    page = signed_in(educator).get(reverse("research:data", args=[course.slug]))
    html = page.content.decode()
    assert page.status_code == 200
    assert '<a href="/teach/reading-data/data/" aria-current="page">Data</a>' in html
    for run in course.runs.all():
        assert zip_url(course, run) in html
        for dataset in HEADERS:
            assert f'href="{csv_url(course, run, dataset)}">reading-data_{dataset}.csv' in html
    assert html.count("Download all (ZIP)") == 2


def test_who_may_download_the_research_data(
    course, educator, team, admin_user, learner, other_course_educator, enrolled
):
    run = course.runs.get()
    urls = [
        reverse("research:data", args=[course.slug]),
        zip_url(course, run),
        csv_url(course, run),
    ]
    for url in urls:
        assert Client().get(url).status_code == 302  # to sign in
        for user in (educator, team[TeamRole.EDUCATOR], admin_user):
            assert signed_in(user).get(url).status_code == 200, (url, user)
        for user in (learner, other_course_educator, team[TeamRole.MENTOR], team[TeamRole.HOST]):
            assert signed_in(user).get(url).status_code == 403, (url, user)
    assert (
        "/data/"
        not in signed_in(team[TeamRole.MENTOR])
        .get(reverse("dashboard:overview", args=[course.slug]))
        .content.decode()
    )


def test_a_refused_download_makes_no_pseudonyms(course, learner, enrolled):
    signed_in(learner).get(zip_url(course, course.runs.get()))
    assert not Pseudonym.objects.exists()


def test_garbage_runs_and_datasets_are_not_found(course, educator, other_course_educator):
    client = signed_in(educator)
    run = course.runs.get()
    elsewhere = other_course_educator.course_team_memberships.get().course.runs.get()
    for url in (
        zip_url(course, elsewhere),
        csv_url(course, elsewhere),
        f"/teach/{course.slug}/data/{run.pk + 1000}.zip",
        f"/teach/{course.slug}/data/{run.pk + 1000}/enrolments.csv",
        f"/teach/{course.slug}/data/abc.zip",
        f"/teach/{course.slug}/data/{'9' * 19}.zip",
        f"/teach/{course.slug}/data/-1.zip",
        csv_url(course, run, "nope"),
        csv_url(course, run, "ENROLMENTS"),
        f"/teach/{course.slug}/data/{run.pk}/enrolments.txt",
        f"/teach/{course.slug}/data/{run.pk}/%00.csv",
        "/teach/no-such-course/data/",
        f"/teach/no-such-course/data/{run.pk}.zip",
    ):
        assert client.get(url).status_code == 404, url


def test_the_data_tab_costs_the_same_with_1_or_3_runs(course, educator, django_assert_num_queries):
    client = signed_in(educator)
    url = reverse("research:data", args=[course.slug])
    client.get(url)  # warm: the course's version and the header's words
    # Session, user, course, capabilities, runs.
    expect_queries(client, django_assert_num_queries, url, 5)
    make_run(course, started_days_ago=60)
    make_run(course, started_days_ago=-30)
    make_learners(course.runs.first(), 20)
    expect_queries(client, django_assert_num_queries, url, 5)


def test_the_zip_streams_every_file(course, research_run, educator):
    run = research_run["run"]
    response = signed_in(educator).get(zip_url(course, run))
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == (
        f'attachment; filename="{course.slug}_run-{run.pk}.zip"'
    )
    chunks = list(response.streaming_content)
    archive = zipfile.ZipFile(io.BytesIO(b"".join(chunks)))
    assert archive.testzip() is None
    assert archive.namelist() == [f"{course.slug}_{dataset}.csv" for dataset in HEADERS]
    for dataset, header in HEADERS.items():
        text = archive.read(f"{course.slug}_{dataset}.csv").decode("utf-8")
        assert text == text_of(run, dataset)
        assert text.startswith(header + "\n")


def test_files_stream_in_pieces_as_they_are_read(course, monkeypatch):
    """Nothing waits for a whole file: a piece goes out every BATCH rows."""
    run = course.runs.get()
    make_learners(run, 6)
    monkeypatch.setattr(export, "BATCH", 2)
    pieces = list(export.csv_chunks(run, "enrolments"))
    assert len(pieces) == 3  # the header and rows 1-2, rows 3-4, rows 5-6
    assert "".join(pieces) == text_of(run, "enrolments")
    chunks = list(export.zip_chunks(run, ["enrolments"]))
    assert len(chunks) >= 4
    archive = zipfile.ZipFile(io.BytesIO(b"".join(chunks)))
    assert archive.read(f"{course.slug}_enrolments.csv").decode() == text_of(run, "enrolments")


def test_a_csv_file_streams(course, research_run, educator):
    run = research_run["run"]
    response = signed_in(educator).get(csv_url(course, run, "comments"))
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{course.slug}_comments.csv"'
    assert b"".join(response.streaming_content).decode() == text_of(run, "comments")


def test_a_download_makes_the_run_s_pseudonyms_first(course, educator, learner, enrolled):
    """Before the files stream, in batches: every learner of the run, and the team."""
    run = course.runs.get()
    signed_in(educator).get(zip_url(course, run))
    assert set(Pseudonym.objects.values_list("user_id", flat=True)) == {
        learner.pk,
        Enrolment.objects.exclude(user=learner).get().user_id,
        educator.pk,
    }


# --- stoa data export ------------------------------------------------------------------------


def test_the_command_writes_every_file_with_its_rows(course, research_run, tmp_path):
    run = research_run["run"]
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "data",
        "export",
        course.slug,
        "--run",
        str(run.pk),
        str(tmp_path / "out"),
        stdout=out,
        stderr=err,
    )
    files = sorted(path.name for path in (tmp_path / "out").iterdir())
    assert files == sorted(f"{course.slug}_{dataset}.csv" for dataset in HEADERS)
    for dataset in HEADERS:
        written = (tmp_path / "out" / f"{course.slug}_{dataset}.csv").read_bytes()
        assert written == text_of(run, dataset).encode()
    assert f"{course.slug}_comments.csv: 3 rows" in out.getvalue()
    assert f"{course.slug}_enrolments.csv: 3 rows" in out.getvalue()
    assert "100%" in err.getvalue()


def test_the_command_writes_only_the_datasets_asked_for(course, tmp_path):
    run = course.runs.get()
    call_command(
        "data",
        "export",
        course.slug,
        "--run",
        str(run.pk),
        str(tmp_path),
        "--dataset",
        "comments",
        "--dataset",
        "video-stats",
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        f"{course.slug}_comments.csv",
        f"{course.slug}_video-stats.csv",
    ]


def test_the_command_refuses_a_wrong_course_or_run(course, second_run, tmp_path):
    other = make_run(course, started_days_ago=7)
    with pytest.raises(CommandError, match="No course with slug 'nope'"):
        call_command("data", "export", "nope", "--run", str(other.pk), str(tmp_path))
    with pytest.raises(CommandError, match=f"{course.slug} has no run 999999"):
        call_command("data", "export", course.slug, "--run", "999999", str(tmp_path))
    with pytest.raises(CommandError, match="invalid choice"):
        call_command(
            "data", "export", course.slug, "--run", str(other.pk), str(tmp_path), "--dataset", "x"
        )
    assert list(tmp_path.iterdir()) == []
