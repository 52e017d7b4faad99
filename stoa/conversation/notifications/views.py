"""The activity page, and the links that lead from a notification to its comment."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from stoa.conversation.models import Notification
from stoa.conversation.notifications import selectors, services
from stoa.lib.http import AuthenticatedHttpRequest
from stoa.lib.keyset import cursor_from


@login_required
@never_cache
@require_GET
def activity(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A page of one's notifications. Those it shows are marked read as it shows them: they
    read "New" this once, and the header's count drops (counted here from the notifications,
    which mends a kept count gone wrong)."""
    cursor = cursor_from(request.GET, "before")
    page = selectors.activity_page(user=request.user, cursor=cursor)
    unread = [n.pk for n in page.items if n.read_at is None]
    services.mark_read(user=request.user, notification_ids=unread)
    services.recount_unread(user=request.user)
    context = {"page": page, "is_first_page": cursor is None, "new_count": len(unread)}
    return render(request, "conversation/notifications/activity.html", context)


@login_required
@require_GET
def open_notification(request: AuthenticatedHttpRequest, notification_id: int) -> HttpResponse:
    """Goes to what a notification is about, changing nothing (its links are in emails, which
    mail scanners fetch). Someone else's is not found; one whose comment the person may no
    longer read goes to the activity page. One about a step goes to the step, whose page
    decides what the person may see there."""
    notification = get_object_or_404(
        selectors.with_readability(Notification.objects.all(), request.user).select_related(
            "comment__step__week__course", "step__week__course"
        ),
        pk=notification_id,
        recipient=request.user,
    )
    if notification.comment is not None and not notification.comment_readable:
        return redirect("notifications:activity")
    return redirect(selectors.notification_url(notification) or "notifications:activity")


@login_required
@require_POST
def mark_all_read(request: AuthenticatedHttpRequest) -> HttpResponse:
    if services.mark_all_read(user=request.user):
        messages.success(request, _("All your notifications are marked as read."))
    return redirect("notifications:activity")
