"""An account made without a name (by the shell, an import, a single sign-on) still shows as
someone, in Debian's Chromium: its comments carry a heading with a neutral label, so that
readers and axe-core find no empty heading, and its profile says who it is the same way."""

import pytest
from playwright.sync_api import Page, expect

from stoa.accounts.models import User
from stoa.learning import services as learning
from stoa.testing import make_comment, make_user, step_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_nameless_accounts_comment_and_profile_show_a_label(
    live_server, sign_in, page: Page, course, learner, check_page
):
    nameless = make_user("nameless@example.org")
    User.objects.filter(pk=nameless.pk).update(display_name="")
    for person in (learner, nameless):
        learning.enrol(user=person, course=course)
    make_comment(nameless, course, "Where does the chart's axis start?")

    sign_in(page, learner)
    page.goto(live_server.url + step_of(course, 1, 2).get_absolute_url())
    comment = page.get_by_role("article", name="Unnamed member")
    expect(comment).to_contain_text("Where does the chart's axis start?")
    check_page(page, "conversation-nameless")

    page.goto(f"{live_server.url}/people/{nameless.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Unnamed member")
    check_page(page, "profile-nameless")
