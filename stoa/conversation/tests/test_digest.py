"""The opt-in daily digest, and background tasks on the database queue that `stoa db_worker`
works. Elsewhere tests run tasks inline (the immediate backend, see conftest.py); here some
switch to the database backend to prove the queue itself."""

import datetime
import io

import pytest
from django.core.mail import EmailMultiAlternatives
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from stoa.conversation.comments import services
from stoa.conversation.models import Notification
from stoa.conversation.notifications import services as notifications
from stoa.testing import load_settings, make_comment, make_follow, make_notifications, step_of

pytestmark = pytest.mark.django_db

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def opt_in(*users):
    for user in users:
        user.daily_digest = True
        user.save(update_fields=["daily_digest"])


@pytest.fixture
def run_worker(monkeypatch):
    """Runs `stoa db_worker --batch`: every queued task, then exit. The worker closes idle
    connections between tasks, which would close the test's own transaction, so not here."""
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)

    def run() -> None:
        call_command(
            "db_worker", "--batch", "--no-reload", "--no-startup-delay", stdout=io.StringIO()
        )

    return run


def test_each_opted_in_person_gets_one_email_of_their_unread_notifications(
    course, learner, other_learner, educator, admin_user, mailoutbox
):
    opt_in(learner, other_learner, admin_user)
    mine = make_comment(learner, course, "Base rates *matter*")
    make_notifications(learner, 2, actor=educator, comment=mine)
    make_notifications(learner, 1, actor=educator, comment=mine, read=True)
    theirs = make_comment(other_learner, course)
    make_notifications(other_learner, 1, actor=educator, comment=theirs)
    educators = make_comment(educator, course)
    make_notifications(educator, 4, actor=learner, comment=educators)  # opted out
    # admin_user opted in but has nothing unread: no email

    sent = notifications.send_daily_digests.call()

    assert sent == 2
    assert sorted(m.to[0] for m in mailoutbox) == ["lee@example.org", "robin@example.org"]
    email = next(m for m in mailoutbox if m.to == ["lee@example.org"])
    assert email.subject == "Stoa: 2 new notifications"
    assert email.body.count("Dr Ana Lima liked your comment") == 2
    assert '"Base rates matter"' in email.body
    assert "http://127.0.0.1:8000/activity/" in email.body
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html"
    assert "Dr Ana Lima liked your comment</a>" in html
    assert Notification.objects.filter(recipient=learner, emailed_at__isnull=False).count() == 2
    assert not Notification.objects.filter(recipient=educator, emailed_at__isnull=False).exists()


def test_running_the_digest_twice_sends_nothing_new(course, learner, educator, mailoutbox):
    opt_in(learner)
    make_notifications(learner, 2, actor=educator, comment=make_comment(learner, course))

    assert notifications.send_daily_digests.call() == 1
    assert notifications.send_daily_digests.call() == 0
    make_notifications(learner, 1, actor=educator, comment=make_comment(learner, course, "Later"))
    assert notifications.send_daily_digests.call() == 1

    assert len(mailoutbox) == 2
    assert mailoutbox[1].subject == "Stoa: 1 new notification"


def test_the_digest_covers_only_the_last_day(course, learner, educator, mailoutbox):
    opt_in(learner)
    comment = make_comment(learner, course)
    make_notifications(learner, 1, actor=educator, comment=comment)
    Notification.objects.update(created_at=timezone.now() - datetime.timedelta(days=2))

    assert notifications.send_daily_digests.call() == 0
    assert mailoutbox == []


def test_the_digest_never_quotes_a_hidden_comment(
    course, learner, other_learner, educator, mailoutbox
):
    opt_in(learner)
    hidden = make_comment(other_learner, course, "Something rude", hidden_at=timezone.now())
    notifications.notify(
        recipient=learner,
        kind=Notification.Kind.FOLLOWED_COMMENT,
        actor=other_learner,
        comment=hidden,
    )

    notifications.send_daily_digests.call()

    # Not quoted, and here not even mentioned: the learner may not read the hidden comment.
    for message in mailoutbox:
        assert "Something rude" not in message.body
        assert "Something rude" not in message.alternatives[0][0]


def test_a_failed_email_leaves_its_notifications_for_the_next_digest(
    course, learner, other_learner, educator, mailoutbox, monkeypatch
):
    opt_in(learner, other_learner)
    make_notifications(learner, 1, actor=educator, comment=make_comment(learner, course))
    theirs = make_comment(other_learner, course)
    make_notifications(other_learner, 1, actor=educator, comment=theirs)
    real_send = EmailMultiAlternatives.send

    def refuse_lee(message, *args, **kwargs):
        if message.to == ["lee@example.org"]:
            raise ConnectionRefusedError("mail server down")
        return real_send(message, *args, **kwargs)

    monkeypatch.setattr(EmailMultiAlternatives, "send", refuse_lee)

    assert notifications.send_daily_digests.call() == 1
    assert [m.to for m in mailoutbox] == [["robin@example.org"]]
    assert Notification.objects.get(recipient=learner).emailed_at is None


def test_the_digest_command_runs_the_task(course, learner, educator, mailoutbox):
    opt_in(learner)
    make_notifications(learner, 1, actor=educator, comment=make_comment(learner, course))
    out = io.StringIO()

    call_command("digest", stdout=out)

    assert out.getvalue() == "Sent 1 digest.\n"
    assert len(mailoutbox) == 1


def test_the_digest_command_queues_for_the_worker(
    settings, course, learner, educator, mailoutbox, run_worker
):
    settings.TASKS = DATABASE_QUEUE
    opt_in(learner)
    make_notifications(learner, 1, actor=educator, comment=make_comment(learner, course))
    out = io.StringIO()

    call_command("digest", stdout=out)

    assert out.getvalue().startswith("Queued the daily digest")
    assert mailoutbox == []
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "stoa.conversation.notifications.services.send_daily_digests"

    run_worker()

    assert len(mailoutbox) == 1
    queued.refresh_from_db()
    assert queued.status == "SUCCESSFUL"


def test_the_fan_out_to_followers_is_queued_when_the_post_commits(
    settings,
    course,
    learner,
    other_learner,
    enrolled,
    django_capture_on_commit_callbacks,
    run_worker,
):
    settings.TASKS = DATABASE_QUEUE
    make_follow(other_learner, learner)

    with django_capture_on_commit_callbacks(execute=True):
        services.post_comment(
            author=learner, step=step_of(course, 1, 2), run=course.runs.get(), text="Hi"
        )

    assert (
        DBTaskResult.objects.get().task_path
        == "stoa.conversation.notifications.services.fan_out_to_followers"
    )
    assert not Notification.objects.exists()
    run_worker()
    assert Notification.objects.get().recipient == other_learner


def test_tasks_go_to_the_database_queue_outside_tests():
    config = load_settings()
    assert config["TASKS"]["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"
    assert "django_tasks_db" in config["INSTALLED_APPS"]
    immediate = load_settings(STOA_TASKS_BACKEND="immediate")
    assert immediate["TASKS"]["default"]["BACKEND"].endswith("ImmediateBackend")
