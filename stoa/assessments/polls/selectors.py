"""Reads of assessments shared by pages and (later) the API; each in a fixed number of queries,
however many people have voted."""

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.db.models import OuterRef, Subquery

from stoa.accounts.models import User
from stoa.assessments.models import PollTally, PollTurnout, PollVote
from stoa.courses.models import ChoiceMode, CourseRun, Option, Step


@dataclass
class PollOption:
    position: int
    text: str
    chosen: bool = False
    votes: int = 0
    percent: int = 0  # of the people who voted, rounded; a choose-many poll's add up past 100


@dataclass
class Poll:
    """A poll as one person sees it: the options, their vote, and when they may see them, the
    results of the run (`voters` is None when they may not)."""

    choose: str
    options: list[PollOption]
    vote: PollVote | None
    voters: int | None = None

    @property
    def choose_one(self) -> bool:
        return self.choose == ChoiceMode.ONE

    @property
    def shows_results(self) -> bool:
        return self.voters is not None


def poll_for(
    *, step: Step, user: User | AnonymousUser, run: CourseRun | None, is_team: bool
) -> Poll:
    """The poll on a step for this person: with the results of `run` once they have voted in
    it, or always for the course team, who do not vote. Two queries at most: the person's
    vote, then the options with their tallies."""
    vote = None
    if user.is_authenticated and not is_team:
        vote = PollVote.objects.filter(user=user, step=step).first()
    shows_results = run is not None and (is_team or vote is not None)
    options = (
        Option.objects.filter(question__step=step, question__position=1)
        .select_related("question")
        .order_by("position")
    )
    if shows_results:
        options = options.annotate(
            votes=Subquery(
                PollTally.objects.filter(run=run, option=OuterRef("pk")).values("votes")[:1]
            ),
            voters=Subquery(PollTurnout.objects.filter(run=run, step=step).values("voters")[:1]),
        )
    rows = list(options)
    chosen = set(vote.positions) if vote else set()
    voters = (getattr(rows[0], "voters", None) or 0) if shows_results and rows else None
    return Poll(
        choose=rows[0].question.choose if rows else ChoiceMode.ONE,
        vote=vote,
        voters=voters,
        options=[
            PollOption(
                position=row.position,
                text=row.text,
                chosen=row.position in chosen,
                votes=getattr(row, "votes", None) or 0,
                percent=round(100 * (getattr(row, "votes", None) or 0) / voters) if voters else 0,
            )
            for row in rows
        ],
    )
