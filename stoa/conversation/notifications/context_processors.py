from django.http import HttpRequest

from stoa.conversation.notifications.selectors import UnreadNotifications


def unread_notifications(request: HttpRequest) -> dict:
    """The header's unread count on every page; lazy, so it costs a query only where shown."""
    return {"unread_notifications": UnreadNotifications(request.user)}
