"""The registry of scheduled jobs: cron expressions read into ARQ's fields and into words,
and the one cron table built from it."""

from __future__ import annotations

import pytest

from domain.errors import Invalid
from domain.jobs.schedule import (
    Cron,
    CronInvalid,
    Schedule,
    ScheduledJob,
    every_seconds,
    scheduled_jobs,
)
from domain.settings import Settings
from workers import cron
from workers.main import HANDLERS, worker_settings

SETTINGS = Settings(database_url="postgresql://u@h/db", redis_url="redis://h:6379/0")


class TestCron:
    @pytest.mark.parametrize(
        ("expression", "words"),
        [
            ("0 * * * *", "every hour"),
            ("15 * * * *", "every hour at minute 15"),
            ("0 0 * * *", "daily at 00:00 UTC"),
            ("30 6 * * 1", "every Monday at 06:30 UTC"),
            ("0 3 1 * *", "monthly on day 1 at 03:00 UTC"),
            ("* * * * *", "every minute"),
            ("*/5 * * * *", "every 5 minutes"),
            ("*/30 * * * * *", "every 30 seconds"),
            ("0 0-6/2 * * *", "on the cron schedule 0 0-6/2 * * * (UTC)"),
        ],
    )
    def test_in_words(self, expression: str, words: str) -> None:
        assert Cron(expression).describe() == words

    def test_five_fields_run_at_second_zero(self) -> None:
        assert Cron("0 0 * * *").arq_fields() == {
            "second": 0,
            "minute": 0,
            "hour": 0,
            "day": None,
            "month": None,
            "weekday": None,
        }

    def test_steps_ranges_and_lists(self) -> None:
        fields = Cron("*/20 1-3,9 */10 * * *").arq_fields()
        assert fields["second"] == {0, 20, 40}
        assert fields["minute"] == {1, 2, 3, 9}
        assert fields["hour"] == {0, 10, 20}

    def test_weekdays_count_from_sunday_in_cron_and_from_monday_in_arq(self) -> None:
        assert Cron("0 0 * * 1").arq_fields()["weekday"] == 0  # Monday
        assert Cron("0 0 * * 0").arq_fields()["weekday"] == 6  # Sunday
        assert Cron("0 0 * * 7").arq_fields()["weekday"] == 6  # Sunday too

    @pytest.mark.parametrize(
        "expression", ["* * * *", "60 * * * *", "0 24 * * *", "5-1 * * * *", "x * * * *"]
    )
    def test_a_bad_expression_is_refused_when_made(self, expression: str) -> None:
        with pytest.raises(CronInvalid):
            Cron(expression)

    @pytest.mark.parametrize(
        ("seconds", "expression"),
        [(1, "*/1 * * * * *"), (30, "*/30 * * * * *"), (60, "* * * * *"), (300, "*/5 * * * *")],
    )
    def test_every_seconds(self, seconds: int, expression: str) -> None:
        assert every_seconds(seconds).expression == expression


class TestSchedule:
    def test_an_unknown_name_is_invalid_on_name_listing_the_valid_ones(self) -> None:
        schedule = scheduled_jobs(SETTINGS)
        with pytest.raises(Invalid) as raised:
            schedule.find("nope")
        assert raised.value.field_errors == {
            "name": [
                "No scheduled job is named 'nope'. "
                "The scheduled jobs are: jobs.sweep, presence.sweep, mailing.dispatch, "
                "invites.dispatch, invites.reset_quotas, "
                "bots.check_links, "
                "bots.collect_stats."
            ]
        }

    def test_names_are_unique(self) -> None:
        entry = ScheduledJob("a.b", Cron("0 * * * *"), "twice")
        with pytest.raises(ValueError, match="share a name"):
            Schedule((entry, entry))

    def test_the_sweep_follows_its_setting(self) -> None:
        schedule = scheduled_jobs(SETTINGS.model_copy(update={"sweep_interval": 10}))
        assert schedule.find("jobs.sweep").cron.describe() == "every 10 seconds"


class TestCronTable:
    def test_every_scheduled_job_has_a_handler(self) -> None:
        assert {entry.name for entry in scheduled_jobs(SETTINGS)} <= set(HANDLERS)

    def test_the_worker_table_is_the_registry(self) -> None:
        table = worker_settings(SETTINGS)["cron_jobs"]
        schedule = scheduled_jobs(SETTINGS)
        assert [job.name for job in table] == [f"cron:{entry.name}" for entry in schedule]
        for job, entry in zip(table, schedule, strict=True):
            fields = entry.cron.arq_fields()
            assert (job.second, job.minute, job.hour) == (
                fields["second"],
                fields["minute"],
                fields["hour"],
            )
            assert (job.day, job.month, job.weekday) == (
                fields["day"],
                fields["month"],
                fields["weekday"],
            )
            assert job.run_at_startup == entry.at_startup

    def test_the_sweeps_keep_their_old_schedules(self) -> None:
        table = {job.name: job for job in worker_settings(SETTINGS)["cron_jobs"]}
        sweep, presence = table["cron:jobs.sweep"], table["cron:presence.sweep"]
        assert (sweep.second, sweep.minute, sweep.run_at_startup) == (0, None, True)
        assert (presence.second, presence.minute) == ({0, 30}, None)

    def test_a_job_without_a_handler_stops_the_worker_from_starting(self) -> None:
        schedule = Schedule((ScheduledJob("bots.unknown", Cron("0 * * * *"), "no handler"),))
        with pytest.raises(RuntimeError, match=r"bots\.unknown"):
            cron.cron_jobs(schedule, HANDLERS)
