"""``assetgraph jobs``: list, show, retry, cancel and enqueue jobs; list schedules and workers.

``assetgraph jobs list [--state S]``, ``jobs show ID``, ``jobs retry ID``, ``jobs cancel ID``,
``jobs run TASK [key=value ...]``, ``jobs schedules``, ``jobs workers``.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from assetgraph.events.models import Job, JobState, Schedule, WorkerHeartbeat
from assetgraph.events.queue import TASKS, cancel_job, enqueue, queue_depth


class Command(BaseCommand):
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
            self.stdout.write(f"{queue_depth()} queued")
            for job in jobs[: options["limit"]]:
                line = f"{job.pk}\t{job.task}\t{job.state}\tattempts {job.attempts}"
                self.stdout.write(line + (f"\t{job.error.splitlines()[-1]}" if job.error else ""))
        elif action == "schedules":
            for schedule in Schedule.objects.all():
                self.stdout.write(
                    f"{schedule.name}\t{schedule.task}\t{schedule.every}\t"
                    f"last {schedule.last_run or '-'}\tnext {schedule.next_run or '-'}"
                    + ("" if schedule.enabled else "\t(disabled)")
                )
        elif action == "workers":
            now = timezone.now()
            for beat in WorkerHeartbeat.objects.order_by("name"):
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
            fields = ["id", "task", "arguments", "state", "attempts", "max_attempts", "worker"]
            data = {name: getattr(job, name) for name in fields}
            data |= {"error": job.error, "result": job.result, "created": str(job.created)}
            self.stdout.write(json.dumps(data, indent=2, default=str))
        elif action == "cancel":
            if not cancel_job(job):
                raise CommandError(
                    f"job {job.pk} is {job.state}; only queued jobs can be cancelled"
                )
            self.stdout.write(f"job {job.pk} cancelled")
        else:  # retry
            if job.state != JobState.FAILED:
                raise CommandError(f"job {job.pk} is {job.state}; only failed jobs can be retried")
            again = enqueue(job.task, job.arguments, max_attempts=job.max_attempts)
            self.stdout.write(f"job {again.pk} queued (a retry of {job.pk})")

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
        self.stdout.write(f"job {job.pk} queued")
