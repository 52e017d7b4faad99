from django.http import HttpRequest

from stoa.conversation.comments import selectors
from stoa.conversation.comments.rendering import render_comments
from stoa.conversation.comments.selectors import Filter
from stoa.conversation.comments.views import composer_form, conversation_context
from stoa.conversation.rules import has_conversation, viewer_at
from stoa.courses.models import StepType
from stoa.learning.access import StepAccess, StepPanel
from stoa.lib.keyset import cursor_from


def step_conversation(request: HttpRequest, access: StepAccess) -> StepPanel | None:
    """The conversation below a step: a page of it, with the composer for those who take part.
    A step has none until its week is open in a run, and test and peer-review steps none at
    all."""
    if access.run is None or access.is_locked or not has_conversation(access.step):
        return None
    viewer = viewer_at(access)
    chosen = Filter.parse(request.GET.get("filter"), personal=viewer.takes_part)
    cursor = cursor_from(request.GET)
    page = selectors.conversation_page(
        step=access.step, viewer=viewer, chosen=chosen, cursor=cursor
    )
    filters = [
        (value, label)
        for value, label in Filter.LABELS.items()
        if viewer.takes_part or value not in Filter.PERSONAL
    ]
    context = conversation_context(
        request,
        access,
        page=page,
        cursor=cursor,
        filters=filters,
        viewer=viewer,
        form=composer_form() if viewer.takes_part else None,
        is_discussion=access.step.type == StepType.DISCUSSION,
        return_to=request.get_full_path(),
        reply_in_place=not page.is_flat,
    )
    render_comments(page.items, context["links"], flat=page.is_flat)
    return StepPanel("conversation/comments/panel.html", context)
