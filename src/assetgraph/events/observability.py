"""``/metrics`` (Prometheus text format, behind ``ASSETGRAPH_METRICS_TOKEN``), ``/health/live``
and ``/health/ready``, and the middleware that times every request by route.

Request latency is a histogram labelled by the matched URL *pattern* (``api/assets/assets/
{id}``), never the raw path, so the number of series stays bounded. The other figures are
read from the database when scraped: queue depth and job durations, webhook deliveries
pending and failed, the age of the freshest worker heartbeat, audit chain lag (events not yet
sealed, and events sealed but not yet dispatched), import rows in the last hour.

Under gunicorn each web process counts its own requests; ``assetgraph serve`` sets
``PROMETHEUS_MULTIPROC_DIR`` so that a scrape of any process reports them all.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Avg, Count, F, Max, Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from assetgraph.audit.models import AuditEvent
from assetgraph.core.models import ImportJob

from .backends import DatabaseBackend
from .delivery import CURSOR
from .models import Cursor, Delivery, DeliveryState, Job, JobState, WorkerHeartbeat

logger = logging.getLogger(__name__)

REQUEST_LATENCY = Histogram(
    "assetgraph_request_seconds",
    "Time to answer a request, by route and method.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


class MetricsMiddleware:
    """Times each request and records it under its route pattern."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = str(match.route) if match is not None and match.route else "unmatched"
        REQUEST_LATENCY.labels(route=route[:200], method=request.method or "").observe(
            time.perf_counter() - started
        )
        return response


MetricSource = Callable[[], Iterator[GaugeMetricFamily]]
_METRIC_SOURCES: list[MetricSource] = []


def register_metric_source(source: MetricSource) -> None:
    """Add figures computed at scrape time by a higher app (the graph cache lives in impact,
    which events may not import): ``source()`` yields gauge families. A source that raises is
    logged and skipped, so one broken figure never hides the others."""
    if source not in _METRIC_SOURCES:
        _METRIC_SOURCES.append(source)


class AppSourcesCollector:
    """The registered metric sources, called at each scrape."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        for source in list(_METRIC_SOURCES):
            try:
                yield from source()
            except Exception:  # one failing figure must not break /metrics
                logger.exception("metric source %s failed", getattr(source, "__name__", source))


class DatabaseCollector:
    """Figures read from the database at scrape time."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = timezone.now()
        by_state = dict(
            Job.objects.values_list("state").annotate(n=Count("id")).values_list("state", "n")
        )
        jobs = GaugeMetricFamily("assetgraph_jobs", "Jobs by state.", labels=["state"])
        for state in JobState:
            jobs.add_metric([state.value], by_state.get(state.value, 0))
        yield jobs
        yield GaugeMetricFamily(
            "assetgraph_job_queue_depth",
            "Jobs queued and due.",
            value=Job.objects.filter(state=JobState.QUEUED, run_after__lte=now).count(),
        )
        recent = Job.objects.filter(
            finished__gte=now - dt.timedelta(hours=1), started__isnull=False
        ).aggregate(
            avg=Avg(F("finished") - F("started")), longest=Max(F("finished") - F("started"))
        )
        durations = GaugeMetricFamily(
            "assetgraph_job_duration_seconds",
            "Durations of the jobs that finished in the last hour.",
            labels=["stat"],
        )
        for stat in ("avg", "longest"):
            value = recent[stat]
            durations.add_metric([stat], value.total_seconds() if value else 0.0)
        yield durations
        deliveries = GaugeMetricFamily(
            "assetgraph_webhook_deliveries", "Webhook deliveries by state.", labels=["state"]
        )
        counts = dict(
            Delivery.objects.values_list("state").annotate(n=Count("id")).values_list("state", "n")
        )
        for delivery_state in DeliveryState:
            deliveries.add_metric([delivery_state.value], counts.get(delivery_state.value, 0))
        yield deliveries
        seen = WorkerHeartbeat.objects.aggregate(last=Max("seen"))["last"]
        yield GaugeMetricFamily(
            "assetgraph_worker_heartbeat_age_seconds",
            "Seconds since the freshest worker heartbeat (-1: no worker ever).",
            value=(now - seen).total_seconds() if seen else -1.0,
        )
        yield from self._audit(now)

    def _audit(self, now: dt.datetime) -> Iterator[GaugeMetricFamily]:
        unsealed = AuditEvent.objects.filter(chain_seq__isnull=True)
        oldest = unsealed.order_by("id").values_list("timestamp", flat=True).first()
        lag = GaugeMetricFamily(
            "assetgraph_audit_chain_lag", "Audit events not yet sealed.", labels=["measure"]
        )
        lag.add_metric(["events"], unsealed.count())
        lag.add_metric(["seconds"], (now - oldest).total_seconds() if oldest else 0.0)
        yield lag
        head = AuditEvent.objects.aggregate(head=Max("chain_seq"))["head"] or 0
        position = Cursor.objects.filter(name=CURSOR).values_list("position", flat=True).first()
        yield GaugeMetricFamily(
            "assetgraph_event_dispatch_lag",
            "Sealed audit events the worker has not yet dispatched to webhooks and hooks.",
            value=max(0, head - (position or 0)),
        )
        rows = ImportJob.objects.filter(finished__gte=now - dt.timedelta(hours=1)).aggregate(
            rows=Sum("processed_rows")
        )["rows"]
        yield GaugeMetricFamily(
            "assetgraph_import_rows_last_hour",
            "Rows processed by imports in the last hour.",
            value=rows or 0,
        )


_DATABASE = DatabaseCollector()


def _authorised(request: HttpRequest) -> bool:
    token = str(getattr(settings, "ASSETGRAPH_METRICS_TOKEN", ""))
    if not token:
        return False
    header = request.headers.get("Authorization", "")
    given = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
    return bool(given) and hmac.compare_digest(given.encode(), token.encode())


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """The Prometheus exposition; 404 without the right bearer token (or with none set)."""
    if not _authorised(request):
        return HttpResponse("Not found", status=404, content_type="text/plain")
    registry: Any = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    output = generate_latest(registry)
    database = CollectorRegistry()
    database.register(_DATABASE)
    database.register(AppSourcesCollector())
    output += generate_latest(database)
    return HttpResponse(output, content_type=CONTENT_TYPE_LATEST)


@require_GET
def live(request: HttpRequest) -> JsonResponse:
    """The process answers."""
    return JsonResponse({"status": "ok"})


@require_GET
def ready(request: HttpRequest) -> JsonResponse:
    """The database answers, a worker heartbeat is fresh and (Redis task backend) the broker
    answers; 503 naming what is not."""
    problems: list[str] = []
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:
        problems.append(f"database: {type(exc).__name__}")
    else:
        stale = timezone.now() - dt.timedelta(seconds=settings.ASSETGRAPH_WORKER_STALE_SECONDS)
        if not WorkerHeartbeat.objects.filter(seen__gte=stale).exists():
            problems.append(
                "worker: no worker has reported in the last "
                f"{settings.ASSETGRAPH_WORKER_STALE_SECONDS:.0f} s"
            )
    backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
    broker = backend.problem() if isinstance(backend, DatabaseBackend) else None
    if broker:
        problems.append(broker)
    status = 503 if problems else 200
    return JsonResponse(
        {"status": "unavailable" if problems else "ok", "problems": problems}, status=status
    )
