"""Work and reviews on the demo course's peer-review step, so that the demo learner, once they
have submitted their own, has work to review at once. `stoa demo` runs it; it writes only once.

The writers are the learners of the demo conversation (stoa.conversation's demo_conversation),
and everything goes through the peer-review services, so the demo keeps the rules it shows:
work is only submitted on a week that is open in the learners' run.
"""

import datetime
import re

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from stoa.accounts.models import User
from stoa.assessments.models import PeerReview, PeerSubmission
from stoa.assessments.peer import services
from stoa.courses.models import Course, Step, StepType
from stoa.learning import services as learning
from stoa.lib.refusals import NotAllowed

# The demo conversation's learners. They cannot sign in: their passwords are unusable.
PEOPLE = {
    "sam": ("sam@example.com", "Sam Okafor"),
    "priya": ("priya@example.com", "Priya Natarajan"),
    "jo": ("jo@example.com", "Jo Lindqvist"),
}

# (who, hours ago, their work), oldest first.
WORK = [
    (
        "sam",
        60,
        """Headline: "House prices in town soar by £18,000", from the Harbour Gazette, on its
front page and website last month.

Where the number came from: the story credits the Land Registry's house price index, which
is built from the prices actually paid in completed sales, not from asking prices. That is a
good source, but the article never says which months it compares. The index is published
monthly and revised, so "last year" could mean the calendar year or the twelve months to the
latest release.

The comparison: £18,000 is set against nothing at all. The council's housing report puts the
average price in town at about £310,000, so the rise is roughly 6%. Nationally, prices rose by
about 4% over the same period, so our town did rise faster, but "soar" is a strong word for a
gap of two percentage points. The story also leaves out wages: if local pay rose by 5%, homes
became only a little less affordable.

The size of the effect in plain numbers: a typical buyer needs about £1,800 more for a 10%
deposit than a year ago, and pays roughly £90 more a month on a 25-year mortgage at current
rates. That is real money, but it is not the shock the headline suggests.

What a reader should take away: prices here rose a little faster than in the country as a
whole, by about 6%, and the headline number sounds bigger than it is because it is given
without the price it started from.""",
    ),
    (
        "priya",
        40,
        """Headline: "One in four adults skip breakfast", read out on the morning bulletin of a
national radio station and repeated on its website.

Where the number came from: the bulletin called it "a new study". The website names a polling
company, which surveyed 2,013 adults online for a cereal brand. The full tables, on the
pollster's site, show the question: "On a typical weekday, do you eat anything before 10am?"
Twenty-six per cent answered no. An online panel weighted to match the population is a
reasonable method, and the margin of error for a sample this size is about two points either
way, so "one in four" is a fair rounding.

The comparison: the story implies this is new and worrying, but gives no earlier figure. The
same pollster asked a similar question five years ago and found 24%, so the change is within
the margin of error. There may be no change at all.

What is left out: who commissioned the survey. A cereal company has an interest in breakfast
sounding like a problem, and the bulletin did not say who paid. Nor did it say whether
skipping breakfast matters: the health evidence on this is mixed, and the story quoted nobody
who studies it.

The size of the effect in plain numbers: in a room of twenty colleagues, about five would not
eat before ten, much as five years ago.

What a reader should take away: a quarter of adults skip breakfast, about the same as before,
according to a survey paid for by a company that sells breakfast.""",
    ),
    (
        "jo",
        20,
        """Headline: "Cycling accidents up 40% as city roads grow more dangerous", shared on social
media from a local news site, with a photo of a damaged bike.

Where the number came from: the article cites police figures for collisions involving cyclists
that were reported to the police in the city. It does not link to them, but the council's road
safety page does. Reported collisions are not all collisions: minor ones often go unreported,
and reporting can change when the police make it easier online, which happened here two years
ago.

The comparison: the 40% compares last year with the year before, when there were 35 reported
collisions; last year there were 49. Forty per cent of a small number is fourteen collisions.
The story does not say how much more people cycled. The council's own counters show cycle
trips rose by about a third after two new protected lanes opened, so the risk for each trip
may barely have changed.

The size of the effect in plain numbers: fourteen more reported collisions in a year, in a
city where roughly thirty thousand cycle trips are made each weekday. Per trip, the risk went
from about one in three hundred thousand to about one in two hundred and eighty thousand, if
the counters are right.

What is missing: serious injuries are counted separately and fell from six to four, which the
story does not mention at all.

What a reader should take away: more people are cycling, so more collisions are reported, but
the roads are not clearly more dangerous for each journey.""",
    ),
]

# (reviewer, whose work allocation gives them, hours ago, answers to the rubric), in order.
REVIEWS = [
    (
        "priya",
        "sam",
        30,
        [
            "Yes: you name the Land Registry index and explain that it uses completed sales. "
            "Saying which months the story compares would make it complete.",
            "Clearly: you set the rise against the average price and against the national "
            "figure, which is exactly the comparison the story leaves out.",
            "Very well. Turning £18,000 into a deposit and a monthly payment makes it real.",
            "Check the wages point: a source for the 5% would make that paragraph as strong "
            "as the rest.",
        ],
    ),
    (
        "jo",
        "priya",
        10,
        [
            "Yes, and you found the full tables and the exact question, which is more than "
            "the bulletin gave its listeners.",
            "You name the one the story leaves out: the same survey five years ago. That "
            "changes the whole story.",
            "The room of twenty colleagues is a lovely way to put it.",
            "Put who paid for the survey in your first paragraph: it is the most useful "
            "thing a listener could know.",
        ],
    ),
]


def unwrap(text: str) -> str:
    """Paragraphs as a learner types them: the line breaks inside each, there only to keep
    this file narrow, become spaces."""
    return re.sub(r"(?<!\n)\n(?!\n)", " ", text)


class Command(BaseCommand):
    help = "Adds work and reviews to the demo course's first peer-review step, once."

    def handle(self, *args, **options):
        for course in Course.objects.all():
            step = (
                Step.objects.select_related("week__course", "peer_review")
                .filter(week__course=course, type=StepType.PEER_REVIEW)
                .order_by("week__number", "position")
                .first()
            )
            if step is None or PeerSubmission.objects.filter(step=step).exists():
                continue
            try:
                with transaction.atomic():
                    self._write(course, step)
            except NotAllowed as refusal:
                # The step's week is not open in the demo run yet: nobody could have written.
                self.stdout.write(f"No demo peer review on {course.slug}: {refusal}")
                continue
            self.stdout.write(f"Demo peer review on step {step.number} of {course.slug}.")

    def _write(self, course: Course, step: Step) -> None:
        people = {}
        for key, (email, name) in PEOPLE.items():
            person = User.objects.filter(email=email).first()
            if person is None:
                person = User(email=email, display_name=name)
                person.set_unusable_password()
                person.save()
            learning.enrol(user=person, course=course)
            people[key] = person
        now = timezone.now()
        for who, hours, text in WORK:
            work = services.submit_work(user=people[who], step=step, text=unwrap(text))
            # As if written over the past days: the step has a history.
            at = now - datetime.timedelta(hours=hours)
            PeerSubmission.objects.filter(pk=work.pk).update(
                created_at=at, updated_at=at, submitted_at=at
            )
        for reviewer, author, hours, answers in REVIEWS:
            allocation = services.reserve_work(user=people[reviewer], step=step)
            # Allocation gives the least reviewed, oldest work: the order above is its order.
            if allocation is None or allocation.submission.user_id != people[author].pk:
                raise CommandError(f"Allocation did not give {reviewer} {author}'s work.")
            review = services.give_review(
                reviewer=people[reviewer], submission=allocation.submission, answers=answers
            )
            at = now - datetime.timedelta(hours=hours)
            PeerReview.objects.filter(pk=review.pk).update(created_at=at)
