import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings

# Playwright's sync API runs an event loop in the test thread; Django's live server and ORM
# calls made beside it are safe here because each runs in its own thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--autoplay-policy=no-user-gesture-required",
]


@pytest.fixture(scope="session", autouse=True)
def cache_of_this_worker(worker_id):
    """With REDIS_URL, test workers share one Redis server: give each its own database, so
    that clearing it or counting rate limits by user id never reaches another worker."""
    if not settings.REDIS_URL:
        yield
        return
    number = 0 if worker_id == "master" else int(worker_id.removeprefix("gw"))
    url = urlsplit(settings.REDIS_URL)._replace(path=f"/{number + 1}").geturl()
    caches = {"default": {**settings.CACHES["default"], "LOCATION": url}}
    with override_settings(CACHES=caches):
        yield


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache: rate-limit counts key on user ids, which repeat."""
    cache.clear()


@pytest.fixture(autouse=True)
def tasks_run_inline(settings):
    """Background tasks run when enqueued, so tests see their effects at once; the tests of
    the queue itself set TASKS back to the database backend."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Still Argon2, so tests see real hashes, but cheap enough to make accounts freely."""
    settings.PASSWORD_HASHERS = ["stoa.testing.FastArgon2PasswordHasher"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Drive Debian's Chromium: Playwright cannot download its own browser here."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: run scripts/system-packages")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


SCREENSHOTS = Path(__file__).parent / "test-output" / "screenshots"
WIDTHS = {"phone": (390, 844), "desktop": (1280, 900)}


@pytest.fixture
def check_page():
    """Checks the open page at phone and desktop widths: no axe-core violations, a screenshot
    of each saved under test-output/screenshots/ for people to look at."""
    axe = Axe()

    def check(page, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        reports = []
        for label, (width, height) in WIDTHS.items():
            page.set_viewport_size({"width": width, "height": height})
            page.screenshot(path=SCREENSHOTS / f"{name}-{label}.png", full_page=True)
            results = axe.run(page)
            if results.violations_count:
                reports.append(f"at {label} width:\n{results.generate_report()}")
        assert not reports, f"axe-core found violations on {name}:\n" + "\n".join(reports)

    return check


@pytest.fixture
def media_root(settings, tmp_path: Path) -> Path:
    """Media storage in a folder of this test's own."""
    root = tmp_path / "media-root"
    root.mkdir()
    settings.MEDIA_ROOT = root
    return root


@pytest.fixture
def sign_in(live_server):
    """Signs a user in through the sign-in page of the live server, in a browser page."""
    from playwright.sync_api import expect

    from stoa.testing import PASSWORD

    def sign_in_as(page, user) -> None:
        page.goto(f"{live_server.url}/accounts/signin/")
        page.get_by_label("Email address").fill(user.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    return sign_in_as


@pytest.fixture
def course(db):
    from stoa.testing import make_course

    return make_course()


@pytest.fixture
def learner(db):
    from stoa.testing import make_user

    return make_user("lee@example.org", name="Lee Learner")


@pytest.fixture
def other_learner(db):
    from stoa.testing import make_user

    return make_user("robin@example.org", name="Robin Other")


@pytest.fixture
def educator(db, course):
    from stoa.courses.models import CourseTeamMember
    from stoa.testing import make_user

    user = make_user("ana@example.org", name="Dr Ana Lima")
    member = CourseTeamMember.objects.get(course=course, position=1)
    member.user = user
    member.save()
    user.refresh_from_db()
    return user


@pytest.fixture
def other_course_educator(db):
    from stoa.courses.models import CourseTeamMember, TeamRole
    from stoa.testing import make_course, make_user

    other = make_course("other-course", title="Another Course")
    user = make_user("sam@example.org", name="Sam Elsewhere")
    CourseTeamMember.objects.create(
        course=other, position=2, name="Sam Elsewhere", role=TeamRole.EDUCATOR, user=user
    )
    return user


@pytest.fixture
def second_run(course):
    """Another run of the course, three weeks in: its own cohort and conversation."""
    from stoa.testing import make_run

    return make_run(course, started_days_ago=21)


@pytest.fixture
def other_run_learner(db, second_run):
    """A learner of the course, but on its other run."""
    from stoa.testing import enrol_in, make_user

    user = make_user("kit@example.org", name="Kit Otherrun")
    enrol_in(user, second_run)
    return user


@pytest.fixture
def outsider(db):
    """Signed up to the site, on no course."""
    from stoa.testing import make_user

    return make_user("olu@example.org", name="Olu Outsider")


@pytest.fixture
def visitor():
    """Not signed in."""
    from django.contrib.auth.models import AnonymousUser

    return AnonymousUser()


@pytest.fixture
def admin_user(db):
    from stoa.testing import make_user

    return make_user("admin@example.org", name="Ada Admin", is_staff=True, is_superuser=True)


@pytest.fixture
def enrolled(course, learner, other_learner):
    """The learner and the other learner on the course, in its run open now."""
    from stoa.learning import services as learning

    learning.enrol(user=learner, course=course)
    learning.enrol(user=other_learner, course=course)
