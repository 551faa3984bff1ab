"""Scheduled jobs: the one registry the worker's cron table and "run now" both read.

A scheduled job is a job kind (its name) with a cron schedule. Every run asked for now is a
task (a ``jobs`` row of that kind, queued like any other). At each tick of the schedule the
cron table queues such a task too, unless the job is housekeeping that runs every minute or
more often (``tick_is_task=False``): that runs directly, leaving no row, as a row a minute
would fill the jobs table with sweeps. Adding a scheduled job is one entry in
``scheduled_jobs`` and the kind's handler in ``workers/main.py`` (a test checks each entry
has one).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from domain.errors import Invalid

if TYPE_CHECKING:
    from collections.abc import Iterator

    from domain.settings import Settings

JOBS_SWEEP = "jobs.sweep"
PRESENCE_SWEEP = "presence.sweep"
# The bots aggregate's job kinds (domain.bots.service names them too; a worker refuses to
# start when a scheduled job has no handler).
BOTS_CHECK_LINKS = "bots.check_links"
BOTS_COLLECT_STATS = "bots.collect_stats"
MAILING_DISPATCH = "mailing.dispatch"
INVITES_DISPATCH = "invites.dispatch"
INVITES_RESET_QUOTAS = "invites.reset_quotas"

# ARQ's cron argument for one field: one value, a set of values, or None for any.
CronValue = int | set[int] | None
# (name in ARQ, lowest, highest) of the six fields, seconds first.
_FIELDS = (
    ("second", 0, 59),
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day", 1, 31),
    ("month", 1, 12),
    ("weekday", 0, 7),  # cron's: 0 and 7 are Sunday
)
WEEKDAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")


class CronInvalid(ValueError):
    """A cron expression this module cannot read (a bug in an entry: found by a unit test)."""


@dataclass(frozen=True)
class Cron:
    """A cron expression, always UTC: five fields (minute hour day month weekday), or six
    with seconds first for schedules under a minute. Each field is ``*``, a number, a range
    ``a-b``, a step ``*/n`` or ``a-b/n``, or a comma-separated list of those."""

    expression: str

    def __post_init__(self) -> None:
        self.arq_fields()  # refuse a bad expression when the entry is made

    def _six(self) -> list[str]:
        parts = self.expression.split()
        if len(parts) == 5:
            return ["0", *parts]
        if len(parts) == 6:
            return parts
        raise CronInvalid(f"{self.expression!r}: a cron expression has 5 or 6 fields")

    def arq_fields(self) -> dict[str, CronValue]:
        """The keyword arguments of ``arq.cron.cron`` for this schedule."""
        fields: dict[str, CronValue] = {}
        for (name, low, high), text in zip(_FIELDS, self._six(), strict=True):
            values = _values(text, low, high, self.expression)
            if name == "weekday" and values is not None:
                # cron counts from Sunday (0 or 7), ARQ (Python's weekday()) from Monday.
                values = {(value + 6) % 7 for value in values}
            fields[name] = _simplest(values)
        return fields

    def describe(self) -> str:
        """The schedule in words."""
        second, minute, hour, day, month, weekday = self._six()
        if day == month == weekday == "*" and hour == "*":
            if minute == "*" and (step := _step(second)):
                return _every(step, "second")
            if second == "0" and (step := _step(minute)):
                return _every(step, "minute")
            if second == "0" and minute.isdigit():
                return f"every hour at minute {int(minute)}" if int(minute) else "every hour"
        if second == "0" and minute.isdigit() and hour.isdigit():
            at = f"{int(hour):02d}:{int(minute):02d} UTC"
            if day == month == weekday == "*":
                return f"daily at {at}"
            if day == month == "*" and weekday.isdigit():
                return f"every {WEEKDAYS[int(weekday) % 7]} at {at}"
            if month == weekday == "*" and day.isdigit():
                return f"monthly on day {int(day)} at {at}"
        return f"on the cron schedule {self.expression} (UTC)"


def every_seconds(seconds: int) -> Cron:
    """Every ``seconds`` (under a minute), or every whole number of minutes."""
    if seconds < 60:
        return Cron(f"*/{seconds} * * * * *")
    minutes = max(seconds // 60, 1)
    return Cron("* * * * *" if minutes == 1 else f"*/{minutes} * * * *")


def _step(text: str) -> int | None:
    if text == "*":
        return 1
    if text.startswith("*/") and text[2:].isdigit():
        return int(text[2:])
    return None


def _every(step: int, unit: str) -> str:
    return f"every {unit}" if step == 1 else f"every {step} {unit}s"


def _number(text: str, low: int, high: int, expression: str) -> int:
    if not text.isdigit() or not low <= int(text) <= high:
        raise CronInvalid(f"{expression!r}: {text!r} is not a number from {low} to {high}")
    return int(text)


def _values(text: str, low: int, high: int, expression: str) -> set[int] | None:
    if text == "*":
        return None
    values: set[int] = set()
    for part in text.split(","):
        span, _, step_text = part.partition("/")
        step = _number(step_text, 1, high + 1, expression) if step_text else 1
        if span == "*":
            first, last = low, high
        elif "-" in span:
            start, _, end = span.partition("-")
            first, last = _number(start, low, high, expression), _number(end, low, high, expression)
        else:
            first = _number(span, low, high, expression)
            last = high if step_text else first
        if first > last:
            raise CronInvalid(f"{expression!r}: the range {span!r} runs backwards")
        values.update(range(first, last + 1, step))
    return values


def _simplest(values: set[int] | None) -> CronValue:
    if values is not None and len(values) == 1:
        return next(iter(values))
    return values


@dataclass(frozen=True)
class ScheduledJob:
    """One entry: ``name`` is the job kind each run is; runs take no arguments."""

    name: str
    cron: Cron
    description: str
    # False: each tick runs the handler directly (no row); only runs asked for now are tasks.
    tick_is_task: bool = True
    # Whether an admin (or ``tghub run-job``) may queue a run now; False keeps it to its
    # schedule. Every job of today may.
    can_run_now: bool = True
    # Also run once when a worker starts.
    at_startup: bool = False


@dataclass(frozen=True)
class Schedule:
    """The scheduled jobs of one deployment (their schedules may follow its settings)."""

    jobs: tuple[ScheduledJob, ...]

    def __post_init__(self) -> None:
        if len(set(self.names)) != len(self.names):
            raise ValueError(f"two scheduled jobs share a name: {self.names}")

    def __iter__(self) -> Iterator[ScheduledJob]:
        return iter(self.jobs)

    @property
    def names(self) -> list[str]:
        return [job.name for job in self.jobs]

    def find(self, name: str) -> ScheduledJob:
        """The entry of that name; ``Invalid`` on ``name`` listing the valid names otherwise."""
        for job in self.jobs:
            if job.name == name:
                return job
        shown = name if len(name) <= 64 else f"{name[:64]}…"
        raise Invalid.single("name", f"No scheduled job is named {shown!r}. {self.listing()}")

    def listing(self) -> str:
        return f"The scheduled jobs are: {', '.join(self.names)}."


def scheduled_jobs(settings: Settings) -> Schedule:
    """Every scheduled job of tghub. The cron table (``workers/cron.py``), the
    ``scheduledJobs`` and ``runScheduledJob`` GraphQL fields and ``tghub run-job`` all read
    this list, so they cannot disagree."""
    return Schedule(
        (
            ScheduledJob(
                JOBS_SWEEP,
                every_seconds(settings.sweep_interval),
                "Queue again the tasks a dead worker or a lost Redis left behind.",
                tick_is_task=False,
                at_startup=True,
            ),
            ScheduledJob(
                PRESENCE_SWEEP,
                every_seconds(30),
                "Announce as offline the messenger users silent for the online window.",
                tick_is_task=False,
            ),
            ScheduledJob(
                MAILING_DISPATCH,
                every_seconds(settings.mailing_tick),
                "Start mailings at their start, send their messages, expire what is left at "
                "their end (one pass at a time in the deployment).",
                tick_is_task=False,
            ),
            ScheduledJob(
                INVITES_DISPATCH,
                every_seconds(settings.invite_tick),
                "Watch the invite queue (length, threshold alert) and invite the queued phones "
                "through the pool of accounts (one pass at a time in the deployment).",
                tick_is_task=False,
            ),
            ScheduledJob(
                INVITES_RESET_QUOTAS,
                Cron("0 0 * * *"),
                "Give every Telegram account its daily invite quota back (00:00 UTC).",
            ),
            ScheduledJob(
                BOTS_CHECK_LINKS,
                Cron("0 * * * *"),
                "Check every active and new channel link: may its bot still post there?",
            ),
            ScheduledJob(
                BOTS_COLLECT_STATS,
                Cron("0 0 * * *"),
                "Count each active channel's posts and views of the previous UTC day.",
            ),
        )
    )
