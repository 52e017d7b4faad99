"""Background tasks (django.tasks). In production they are queued in the database and run by
`stoa db_worker`; in tests (conftest.py) and with STOA_TASKS_BACKEND=immediate, they run inline.
Arguments are JSON: ids, never model instances."""

from django.tasks import task

from stoa.conversation import notifications


@task
def fan_out_to_followers(comment_id: int) -> int:
    return notifications.fan_out_to_followers(comment_id=comment_id)


@task
def send_daily_digests() -> int:
    return notifications.send_daily_digests()
