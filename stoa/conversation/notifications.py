"""Notifications: replies to my comments, likes on them, new comments by people I follow,
and moderation decisions. Rows are written in the caller's transaction."""

from django.utils import timezone

from stoa.accounts.models import User
from stoa.conversation.models import Comment, Follow, Notification

FAN_OUT_BATCH = 1000


def notify(
    *,
    recipient: User,
    kind: str,
    actor: User | None = None,
    comment: Comment | None = None,
    text: str = "",
) -> Notification | None:
    """Notifies one person, never of their own doing."""
    if actor is not None and actor.pk == recipient.pk:
        return None
    return Notification.objects.create(
        recipient=recipient,
        kind=kind,
        actor=actor,
        comment=comment,
        text=text,
        created_at=timezone.now(),
    )


def notify_followers(*, comment: Comment) -> int:
    """Tells everyone who follows the comment's author about it, in batches."""
    now = timezone.now()
    follower_ids = (
        Follow.objects.filter(followed_id=comment.author_id)
        .values_list("follower_id", flat=True)
        .order_by("follower_id")
    )
    sent = 0
    batch: list[Notification] = []
    for follower_id in follower_ids.iterator(chunk_size=FAN_OUT_BATCH):
        batch.append(
            Notification(
                recipient_id=follower_id,
                kind=Notification.Kind.FOLLOWED_COMMENT,
                actor_id=comment.author_id,
                comment=comment,
                created_at=now,
            )
        )
        if len(batch) == FAN_OUT_BATCH:
            sent += len(Notification.objects.bulk_create(batch))
            batch = []
    if batch:
        sent += len(Notification.objects.bulk_create(batch))
    return sent
