"""A conversation on the demo course's first discussion step, so that the demo site shows
what learners and educators do there. `stoa demo` runs it; it writes only once."""

import datetime

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from stoa.accounts.models import User
from stoa.conversation.comments import services
from stoa.conversation.models import Comment
from stoa.courses.models import Course, Step, StepType
from stoa.learning import services as learning

# Learners of the demo conversation. They cannot sign in: their passwords are unusable.
PEOPLE = {
    "sam": ("sam@example.com", "Sam Okafor"),
    "priya": ("priya@example.com", "Priya Natarajan"),
    "jo": ("jo@example.com", "Jo Lindqvist"),
}
EDUCATOR = "educator@example.com"

# (who, hours ago, text, replies as (who, hours ago, text)), oldest first.
THREADS = [
    (
        "educator",
        50,
        "Welcome, everyone! Say where you saw your number and, if you can, link to it. "
        "I'll be reading along all week.",
        [],
    ),
    (
        "sam",
        30,
        "Our local paper says house prices in town rose by **£18,000** last year. My "
        "question: *compared with what?* Is that a lot where a typical home costs £310,000?",
        [
            (
                "priya",
                26,
                "The council's housing report gives the average price, so you can turn it "
                "into a percentage: about 6% if £310,000 is the starting point.",
            ),
            (
                "educator",
                20,
                "Good instinct, Sam. Setting a change against the value it started from is "
                "exactly what we practise in week 2.",
            ),
        ],
    ),
    (
        "priya",
        12,
        "A radio bulletin said *1 in 4 adults* skip breakfast. I'd ask who counted: was it a "
        "survey, and how many people answered?",
        [
            (
                "sam",
                9,
                "Polling companies usually publish full tables on their websites. The sample "
                "size is on the first page.",
            ),
        ],
    ),
    (
        "jo",
        3,
        "A post a friend shared says cycling accidents are **up 40%**. Before sharing it "
        "on, I'd want the counts: 40% of a small number could be a handful of accidents.",
        [],
    ),
]
LIKES = {"sam": ["priya", "jo", "educator"], "jo": ["sam"], "priya": ["jo"]}


class Command(BaseCommand):
    help = "Adds a short conversation to the demo course's first discussion step, once."

    def handle(self, *args, **options):
        for course in Course.objects.all():
            run = course.runs.order_by("starts_on").first()
            discussions = Step.objects.filter(week__course=course, type=StepType.DISCUSSION)
            step = discussions.order_by("week__number", "position").first()
            if run is None or step is None or Comment.objects.filter(run=run).exists():
                continue
            with transaction.atomic():
                self._converse(course, run, step)
            self.stdout.write(f"Demo conversation on step {step.number} of {course.slug}.")

    def _converse(self, course, run, step) -> None:
        people = {"educator": User.objects.get(email=EDUCATOR)}
        for key, (email, name) in PEOPLE.items():
            person = User.objects.filter(email=email).first()
            if person is None:
                person = User(email=email, display_name=name)
                person.set_unusable_password()
                person.save()
            learning.enrol(user=person, course=course)
            people[key] = person
        now = timezone.now()

        def post(who: str, hours: int, text: str, parent: Comment | None = None) -> Comment:
            comment = services.post_comment(
                author=people[who], step=step, run=run, text=text, parent=parent
            )
            # As if written over the past days: the conversation has a history.
            posted_at = now - datetime.timedelta(hours=hours)
            Comment.objects.filter(pk=comment.pk).update(created_at=posted_at)
            return comment

        threads = {}
        for who, hours, text, replies in THREADS:
            threads[who] = thread = post(who, hours, text)
            for replier, reply_hours, reply_text in replies:
                post(replier, reply_hours, reply_text, parent=thread)
        for author, likers in LIKES.items():
            for liker in likers:
                services.toggle_like(user=people[liker], comment=threads[author])
