"""``assetgraph jobs``: list, show, retry, cancel and enqueue jobs; list schedules and workers.

``assetgraph jobs list [--state S]``, ``jobs show ID``, ``jobs retry ID``, ``jobs cancel ID``,
``jobs run TASK [key=value ...]``, ``jobs schedules``, ``jobs workers``.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone

from assetgraph.core.commandline import JsonCommand
from assetgraph.events.models import Job, JobState, Schedule, WorkerHeartbeat
from assetgraph.events.queue import TASKS, cancel_job, enqueue, queue_depth


class Command(JsonCommand):
    help = "Inspect and manage background jobs and schedules."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "action", choices=["list", "show", "retry", "cancel", "run", "schedules", "workers"]
        )
        parser.add_argument("values", nargs="*")
        parser.add_argument("--state", choices=[s.value for s in JobState], default=None)
        parser.add_argument("--limit", type=int, default=50)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        values: list[str] = options["values"]
        if action == "list":
            jobs = Job.objects.order_by("-id")
            if options["state"]:
                jobs = jobs.filter(state=options["state"])
            page = list(jobs[: options["limit"]])
            if self.json_mode:
                self.write_json({"queued": queue_depth(), "jobs": [_job_data(j) for j in page]})
                return
            self.stdout.write(f"{queue_depth()} queued")
            for job in page:
                line = f"{job.pk}\t{job.task}\t{job.state}\tattempts {job.attempts}"
                self.stdout.write(line + (f"\t{job.error.splitlines()[-1]}" if job.error else ""))
        elif action == "schedules":
            schedules = list(Schedule.objects.all())
            if self.json_mode:
                self.write_json({"schedules": [_schedule_data(s) for s in schedules]})
                return
            for schedule in schedules:
                self.stdout.write(
                    f"{schedule.name}\t{schedule.task}\t{schedule.every}\t"
                    f"last {schedule.last_run or '-'}\tnext {schedule.next_run or '-'}"
                    + ("" if schedule.enabled else "\t(disabled)")
                )
        elif action == "workers":
            now = timezone.now()
            beats = list(WorkerHeartbeat.objects.order_by("name"))
            if self.json_mode:
                workers = [
                    {"name": b.name, "seen": b.seen, "age_seconds": (now - b.seen).total_seconds()}
                    for b in beats
                ]
                self.write_json({"workers": workers})
                return
            for beat in beats:
                age = (now - beat.seen).total_seconds()
                self.stdout.write(f"{beat.name}\tseen {age:.0f} s ago")
        elif action == "run":
            self._run(values)
        else:
            self._one(action, values)

    def _job(self, values: list[str]) -> Job:
        if len(values) != 1 or not values[0].isdigit():
            raise CommandError("give one job id")
        job = Job.objects.filter(pk=int(values[0])).first()
        if job is None:
            raise CommandError(f"no job {values[0]}")
        return job

    def _one(self, action: str, values: list[str]) -> None:
        job = self._job(values)
        if action == "show":
            # Always JSON (the job's document), with or without --json.
            self.write_json(_job_data(job))
        elif action == "cancel":
            if not cancel_job(job):
                raise CommandError(
                    f"job {job.pk} is {job.state}; only queued jobs can be cancelled"
                )
            self.say(f"job {job.pk} cancelled")
            if self.json_mode:
                job.refresh_from_db()
                self.write_json(_job_data(job))
        else:  # retry
            if job.state != JobState.FAILED:
                raise CommandError(f"job {job.pk} is {job.state}; only failed jobs can be retried")
            again = enqueue(job.task, job.arguments, max_attempts=job.max_attempts)
            self.say(f"job {again.pk} queued (a retry of {job.pk})")
            if self.json_mode:
                self.write_json({**_job_data(again), "retry_of": job.pk})

    def _run(self, values: list[str]) -> None:
        if not values or values[0] not in TASKS:
            raise CommandError(f"give a task: {', '.join(sorted(TASKS))}")
        arguments: dict[str, Any] = {}
        for pair in values[1:]:
            key, sep, value = pair.partition("=")
            if not sep:
                raise CommandError(f"{pair!r}: arguments are key=value")
            try:
                arguments[key] = json.loads(value)
            except ValueError:
                arguments[key] = value
        job = enqueue(values[0], arguments)
        self.say(f"job {job.pk} queued")
        if self.json_mode:
            self.write_json(_job_data(job))


def _job_data(job: Job) -> dict[str, Any]:
    """A job as ``jobs show`` and ``--json`` print it."""
    fields = ["id", "task", "arguments", "state", "attempts", "max_attempts", "worker"]
    data = {name: getattr(job, name) for name in fields}
    return data | {"error": job.error, "result": job.result, "created": job.created}


def _schedule_data(schedule: Schedule) -> dict[str, Any]:
    return {
        "name": schedule.name,
        "task": schedule.task,
        "every": schedule.every,
        "enabled": schedule.enabled,
        "last_run": schedule.last_run,
        "next_run": schedule.next_run,
    }
