"""``/metrics`` behind its token, ``/health/live`` and ``/health/ready``, JSON logs."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.test import Client

from assetgraph.core.jsonlog import JsonFormatter
from assetgraph.events.queue import enqueue
from assetgraph.events.worker import Worker


def test_metrics_need_the_token(client: Client, settings: Any, db: None) -> None:
    settings.ASSETGRAPH_METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    settings.ASSETGRAPH_METRICS_TOKEN = "s3cret-token"
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404


def test_metrics_report_latency_by_route_queue_depth_and_audit_lag(
    client: Client, settings: Any, db: None
) -> None:
    settings.ASSETGRAPH_METRICS_TOKEN = "s3cret-token"
    client.get("/health/live")
    enqueue("events.cleanup")
    enqueue("events.cleanup")
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token")
    assert response.status_code == 200
    text = response.content.decode()
    assert 'assetgraph_request_seconds_count{method="GET",route="health/live"}' in text
    assert "assetgraph_job_queue_depth 2.0" in text
    assert 'assetgraph_jobs{state="queued"} 2.0' in text
    assert 'assetgraph_audit_chain_lag{measure="events"}' in text
    assert "assetgraph_event_dispatch_lag" in text
    assert "assetgraph_worker_heartbeat_age_seconds -1.0" in text


def test_ready_needs_a_worker_heartbeat(client: Client, db: None) -> None:
    assert client.get("/health/live").json() == {"status": "ok"}
    down = client.get("/health/ready")
    assert down.status_code == 503 and down.json()["problems"][0].startswith("worker:")
    Worker().beat()
    up = client.get("/health/ready")
    assert up.status_code == 200 and up.json() == {"status": "ok", "problems": []}


def test_a_worker_pass_drains_due_jobs_and_reports_depth_zero(
    client: Client, settings: Any, db: None
) -> None:
    settings.ASSETGRAPH_METRICS_TOKEN = "t"
    enqueue("events.cleanup")
    Worker().drain()
    text = client.get("/metrics", HTTP_AUTHORIZATION="Bearer t").content.decode()
    assert "assetgraph_job_queue_depth 0.0" in text
    assert 'assetgraph_jobs{state="succeeded"} 1.0' in text


def test_json_logs_are_one_object_per_line() -> None:
    record = logging.makeLogRecord(
        {"name": "x", "levelname": "INFO", "msg": "hello %s", "args": ("you",), "job": 7}
    )
    document = json.loads(JsonFormatter().format(record))
    assert document["message"] == "hello you" and document["job"] == 7
    assert document["level"] == "INFO" and "time" in document


def test_metrics_report_the_graph_cache_age_and_build_time(
    client: Client, settings: Any, db: None
) -> None:
    """The impact app's figures (registered from impact/operations.py): -1 before any graph,
    then the age and the duration of the full build that made it."""
    import re

    from assetgraph.impact.estate import clear_cache, estate_graph

    settings.ASSETGRAPH_METRICS_TOKEN = "t"
    clear_cache()
    text = client.get("/metrics", HTTP_AUTHORIZATION="Bearer t").content.decode()
    assert "assetgraph_graph_cache_age_seconds -1.0" in text
    assert 'assetgraph_graph_build_seconds{kind="full"} -1.0' in text
    estate_graph()
    text = client.get("/metrics", HTTP_AUTHORIZATION="Bearer t").content.decode()
    age = re.search(r"^assetgraph_graph_cache_age_seconds (\S+)$", text, re.M)
    build = re.search(r'^assetgraph_graph_build_seconds\{kind="full"\} (\S+)$', text, re.M)
    assert age is not None and float(age.group(1)) >= 0.0
    assert build is not None and float(build.group(1)) > 0.0
    assert re.search(r'^assetgraph_graph_cache_events\{kind="rebuilds"\} [1-9]', text, re.M)


def test_the_graph_is_warmed_by_a_scheduled_job_in_the_worker(db: None) -> None:
    """Warm-up is a schedule of the worker (every 5 minutes), not work inside a request."""
    from assetgraph.events.models import Job, JobState, Schedule
    from assetgraph.events.schedules import sync_schedules
    from assetgraph.impact.estate import cache_stats, clear_cache

    sync_schedules()
    schedule = Schedule.objects.get(task="impact.warm_graph")
    assert schedule.enabled and schedule.every == "interval" and schedule.interval_seconds == 300
    clear_cache()
    rebuilds = cache_stats()["rebuilds"]
    job = enqueue("impact.warm_graph")
    Worker().drain()
    job = Job.objects.get(pk=job.pk)
    assert job.state == JobState.SUCCEEDED, job.error
    assert cache_stats()["rebuilds"] == rebuilds + 1
    assert job.result["build_seconds"] > 0
