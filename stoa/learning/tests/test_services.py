import datetime
import threading

import pytest
from django.db import close_old_connections, connection
from django.utils import timezone

from stoa.courses.models import CourseRun
from stoa.courses.structure import structure_of
from stoa.learning import selectors, services
from stoa.learning.models import Enrolment, StepCompletion, StepVisit
from stoa.testing import make_course, step_of

pytestmark = pytest.mark.django_db


def test_enrol_joins_the_next_open_run(course, learner):
    enrolment = services.enrol(user=learner, course=course)
    assert enrolment.run == course.runs.get()
    assert enrolment.is_active


def test_enrol_twice_returns_the_same_enrolment(course, learner):
    first = services.enrol(user=learner, course=course)
    assert services.enrol(user=learner, course=course) == first
    assert Enrolment.objects.count() == 1


def test_enrol_skips_runs_that_are_over(learner):
    course = make_course(weeks=2, run_started_days_ago=30)
    upcoming = CourseRun.objects.create(
        course=course, starts_on=timezone.localdate() + datetime.timedelta(days=5)
    )
    assert services.enrol(user=learner, course=course).run == upcoming


def test_enrol_without_an_open_run_is_refused(learner):
    course = make_course(run_started_days_ago=None)
    with pytest.raises(services.NoOpenRun):
        services.enrol(user=learner, course=course)


def test_leaving_keeps_progress_and_rejoining_restores_it(course, learner):
    enrolment = services.enrol(user=learner, course=course)
    services.complete_step(enrolment=enrolment, step=step_of(course, 1, 1))
    services.leave(enrolment=enrolment)
    assert selectors.enrolment_for(user=learner, course=course) is None
    again = services.enrol(user=learner, course=course)
    assert again.pk == enrolment.pk
    assert selectors.completed_step_ids(again) == {step_of(course, 1, 1).pk}


def test_completing_twice_stores_one_completion(course, learner):
    enrolment = services.enrol(user=learner, course=course)
    step = step_of(course, 1, 1)
    assert services.complete_step(enrolment=enrolment, step=step) is True
    assert services.complete_step(enrolment=enrolment, step=step) is False
    assert StepCompletion.objects.count() == 1


def test_uncomplete_removes_the_completion_once(course, learner):
    enrolment = services.enrol(user=learner, course=course)
    step = step_of(course, 1, 1)
    services.complete_step(enrolment=enrolment, step=step)
    assert services.uncomplete_step(enrolment=enrolment, step=step) is True
    assert services.uncomplete_step(enrolment=enrolment, step=step) is False
    assert StepCompletion.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_completions_from_two_tabs_store_one(learner):
    course = make_course()
    enrolment = services.enrol(user=learner, course=course)
    step = step_of(course, 1, 1)
    barrier = threading.Barrier(6)
    results, errors = [], []

    def tab():
        try:
            barrier.wait()
            results.append(services.complete_step(enrolment=enrolment, step=step))
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=tab) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(results) == [False] * 5 + [True]
    assert StepCompletion.objects.filter(enrolment=enrolment).count() == 1


def test_visits_record_first_and_last_times(course, learner):
    enrolment = services.enrol(user=learner, course=course)
    step = step_of(course, 1, 2)
    services.record_visit(enrolment=enrolment, step=step)
    visit = StepVisit.objects.get()
    services.record_visit(enrolment=enrolment, step=step)
    visit.refresh_from_db()
    assert visit.last_visited_at >= visit.first_visited_at
    assert StepVisit.objects.count() == 1
    enrolment.refresh_from_db()
    assert enrolment.last_step == step


def test_a_return_to_the_same_step_within_minutes_writes_nothing(
    course, learner, django_assert_num_queries
):
    enrolment = services.enrol(user=learner, course=course)
    first, second = step_of(course, 1, 1), step_of(course, 1, 2)
    enrolment = Enrolment.objects.select_related("run").get(pk=enrolment.pk)
    assert services.record_visit(enrolment=enrolment, step=first)
    seen = StepVisit.objects.get().last_visited_at
    with django_assert_num_queries(0):  # no transaction, so no write lock on SQLite
        assert not services.record_visit(enrolment=enrolment, step=first)
    assert StepVisit.objects.get().last_visited_at == seen
    # Another step is a visit; so is the same step once the window has passed.
    assert services.record_visit(enrolment=enrolment, step=second)
    assert Enrolment.objects.get(pk=enrolment.pk).last_step == second
    enrolment.last_activity_at -= services.VISIT_WINDOW
    enrolment.last_step_id = second.pk
    assert services.record_visit(enrolment=enrolment, step=second)
    assert StepVisit.objects.get(step=second).last_visited_at > seen


def test_continue_goes_to_the_step_after_the_last_completed(course, learner):
    enrolment = services.enrol(user=learner, course=course)
    assert selectors.continue_step(enrolment=enrolment) == step_of(course, 1, 1)
    services.record_visit(enrolment=enrolment, step=step_of(course, 2, 2))
    enrolment.refresh_from_db()
    assert selectors.continue_step(enrolment=enrolment) == step_of(course, 2, 2)
    services.complete_step(enrolment=enrolment, step=step_of(course, 1, 3))
    assert selectors.continue_step(enrolment=enrolment) == step_of(course, 2, 1)


def test_neighbours_cross_week_boundaries(course):
    previous, following = selectors.neighbours(step=step_of(course, 2, 1))
    assert previous == step_of(course, 1, 3)
    assert following == step_of(course, 2, 2)
    assert selectors.neighbours(step=step_of(course, 1, 1))[0] is None
    assert selectors.neighbours(step=step_of(course, 3, 3))[1] is None


def test_week_n_opens_seven_days_after_week_n_minus_one(course):
    run = course.runs.get()
    assert run.week_opens_on(1) == run.starts_on
    assert run.week_opens_on(3) == run.starts_on + datetime.timedelta(days=14)
    assert run.ends_on == run.starts_on + datetime.timedelta(days=20)


def test_progress_counts_overall_per_week_and_this_week(learner):
    course = make_course(weeks=2, steps_per_week=4, run_started_days_ago=8)
    enrolment = services.enrol(user=learner, course=course)
    for week, position in [(1, 1), (1, 2), (2, 1)]:
        services.complete_step(enrolment=enrolment, step=step_of(course, week, position))
    enrolment.refresh_from_db()
    progress = selectors.progress_for(
        structure=structure_of(course.slug), enrolment=enrolment, today=timezone.localdate()
    )
    assert (progress.completed, progress.total, progress.percent) == (3, 8, 38)
    assert [(w.completed, w.total, w.percent) for w in progress.weeks] == [(2, 4, 50), (1, 4, 25)]
    assert progress.completed_this_week == 3
    assert progress.last_activity_at is not None


def test_todo_groups_steps_by_week_and_activity(course, learner):
    enrolment = services.enrol(user=learner, course=course)
    services.complete_step(enrolment=enrolment, step=step_of(course, 1, 2))
    todo = selectors.todo_for(
        structure=structure_of(course.slug), enrolment=enrolment, today=timezone.localdate()
    )
    week_one = todo.weeks[0]
    assert [a.title for a in week_one.activities] == ["Getting started", "Going further"]
    assert [(i.step.number, i.completed) for i in week_one.steps] == [
        ("1.1", False),
        ("1.2", True),
        ("1.3", False),
    ]
    assert todo.current_week == 1
    assert [w.is_open for w in todo.weeks] == [True, False, False]
