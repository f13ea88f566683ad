"""What every importer shares: its declaration (model, key, columns, lookups), references,
permissions, and the run — read, plan every row, then write all of it or nothing."""

from __future__ import annotations

import contextlib
import gc
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterator, Mapping
from typing import IO, Any, ClassVar

from django.core.exceptions import ImproperlyConfigured
from django.db import models

from assetgraph.accounts.permissions import has_perm, restrict
from assetgraph.core.actor import Actor, Source
from assetgraph.core.batching import in_batches
from assetgraph.core.errors import PermissionDenied
from assetgraph.core.registry import object_type_key
from assetgraph.core.tabular import Row, TableError

from .cells import CellParsers
from .report import ImportReport, RowError
from .statistics import refresh_planner_statistics

# ``progress(done, total)``: rows done, and the total once known.
Progress = Callable[[int, int | None], None]


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while an import plans and writes.

    A large import allocates millions of container objects (rows, instances, snapshots) that
    live until it ends and form no cycles; the collector would rescan them over and over
    (~15 % of a 100k-row import). Reference counting still frees everything as usual; the
    collector resumes (if it was enabled) when the import ends, however it ends.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class ImportBase(ABC):
    """The declaration and run shared by :class:`~.importer.Importer` (model instances) and
    :class:`~.streaming.BulkImporter` (plans of tuples).

    A subclass declares ``model``, the upsert ``key_column``, its ``required_columns`` and
    ``optional_columns`` (the file's header is checked against them) and, for each column
    naming another object, the fields that identify it in ``lookups`` (an ``#id`` always
    works). Cells of plain columns are parsed by their model field (:mod:`.cells`).
    """

    model: ClassVar[type[models.Model]]
    key_column: ClassVar[str]
    required_columns: ClassVar[tuple[str, ...]] = ()
    optional_columns: ClassVar[tuple[str, ...]] = ()
    lookups: ClassVar[Mapping[str, tuple[str, ...]]] = {}

    def __init__(self, actor: Actor) -> None:
        self.actor = actor
        self.user = actor.user
        self.header: list[str] = []
        self.cells = CellParsers(self.model)
        self._refs: dict[tuple[str, str], Any] = {}
        self._may: dict[str, bool] = {}
        self._readers: dict[tuple[str, ...], list[tuple[str, Callable[[str], Any]]]] = {}

    # -- declaration -----------------------------------------------------------------------

    @property
    def object_type(self) -> str:
        return object_type_key(self.model)

    def columns(self) -> set[str]:
        """Every column the file may have."""
        return {self.key_column, *self.required_columns, *self.optional_columns}

    def check_header(self, header: list[str]) -> None:
        """A header missing a required column or naming an unknown one is a file error."""
        missing = [c for c in (self.key_column, *self.required_columns) if c not in header]
        if missing:
            raise TableError(f"missing column(s): {', '.join(missing)}")
        known = self.columns()
        unknown = [c for c in header if c and c not in known]
        if unknown:
            raise TableError(
                f"unknown column(s): {', '.join(unknown)} (known: {', '.join(sorted(known))})"
            )

    # -- cells and references ------------------------------------------------------------------

    def visible(self, model: type[models.Model]) -> models.QuerySet[Any]:
        """Reference targets the importing user may see (everything for system actors)."""
        queryset = model._default_manager.all()
        return queryset if self.actor.is_system else restrict(queryset, self.user, "view")

    def ref(self, model: type[models.Model], value: str, column: str, *fields: str) -> Any:
        """Resolve a reference cell among visible objects, memoised per file."""
        if not value:
            return None
        key = (column, value.lower())
        if key not in self._refs:
            self._refs[key] = lookup(self.visible(model), value, column, *fields)
        return self._refs[key]

    def cell_values(self, cells: Mapping[str, str], names: tuple[str, ...]) -> dict[str, Any]:
        """Field values of the columns ``names`` present in a row: references resolved by
        ``lookups``, every other cell parsed by its model field. Raises :class:`RowError`.

        The readers of a tuple of names are built once per importer (this runs per row).
        """
        readers = self._readers.get(names)
        if readers is None:
            readers = self._readers[names] = [(name, self._reader(name)) for name in names]
        return {name: read(cells[name]) for name, read in readers if name in cells}

    def _reader(self, name: str) -> Callable[[str], Any]:
        """How to read column ``name``: its lookups for a reference, else its field's rule."""
        model_field = self.cells.fields.get(name)
        if model_field is None:
            raise ImproperlyConfigured(
                f"{type(self).__name__}: column {name!r} is not a field of "
                f"{self.model.__name__}; read it in values()"
            )
        if not model_field.is_relation:
            parse = self.cells.parser(name)
            return lambda cell: parse(cell, name)
        if name not in self.lookups:
            raise ImproperlyConfigured(f"{type(self).__name__}: no lookups for {name!r}")
        related = model_field.related_model
        assert isinstance(related, type)
        fields = self.lookups[name]
        return lambda cell: self.ref(related, cell, name, *fields)

    # -- permissions -------------------------------------------------------------------------

    def may(self, action: str) -> bool:
        """Whether the actor holds ``action`` on the model at all (system actors: always)."""
        if action not in self._may:
            self._may[action] = self.actor.is_system or has_perm(
                self.user, self.object_type, action
            )
        return self._may[action]

    def check_permissions(self) -> None:
        """Refuse the whole import when the actor may neither add nor change the model."""
        if not (self.may("add") or self.may("change")):
            raise PermissionDenied(f"you may not import {self.model._meta.verbose_name_plural}")

    def changeable(self, pks: Collection[Any]) -> set[Any] | None:
        """Which of the existing objects ``pks`` the actor may change (``None``: all)."""
        if self.actor.is_system:
            return None
        allowed: set[Any] = set()
        manager = self.model._default_manager
        for chunk in in_batches(list(pks)):
            queryset = manager.filter(pk__in=chunk)
            allowed.update(restrict(queryset, self.user, "change").values_list("pk", flat=True))
        return allowed

    def verify(self, pks: Collection[Any], action: str) -> None:
        """After writing: object permissions with constraints (e.g. only some classes or
        departments) hold for every written row, or the whole import rolls back."""
        if self.actor.is_system or not pks:
            return
        manager = self.model._default_manager
        for chunk in in_batches(list(set(pks))):
            allowed = restrict(manager.filter(pk__in=chunk), self.user, action).count()
            if allowed != len(chunk):
                plural = self.model._meta.verbose_name_plural
                raise PermissionDenied(f"your permissions do not allow some of these {plural}")

    def job_actor(self, job_id: str) -> Actor:
        """The actor the import's audit events name: tagged with the job, source import
        (or the CLI, when run from it)."""
        source = Source.IMPORT if self.actor.source != Source.CLI else Source.CLI
        return self.actor.for_job(job_id, source)

    # -- the run -----------------------------------------------------------------------------

    def run(
        self,
        stream: IO[bytes],
        filename: str,
        *,
        dry_run: bool,
        progress: Progress | None = None,
        job_id: str | None = None,
    ) -> ImportReport:
        """Plan every row, then write all of it in one transaction or nothing.

        File-level problems (format, header, size) are the report's ``file_errors``; row
        problems are its rows' errors; an actor who may not import raises
        :class:`~assetgraph.core.errors.PermissionDenied`. ``progress(done, total)`` is
        called while planning and writing; a background job passes its own ``job_id``.
        """
        job_id = job_id or uuid.uuid4().hex
        report = self.new_report(dry_run, job_id)
        with collector_paused():
            try:
                header, rows = self.read(stream, filename)
                self.check_header(header)
                self.header = header
                self.check_permissions()
                self.plan_file(rows, report, progress)
            except TableError as exc:
                report.file_errors.append(str(exc))
                return report
            if report.ok and not dry_run:
                self.apply_plan(report, job_id, progress)
                report.applied = True
        if report.applied:
            refresh_planner_statistics(self.written_models(), len(report.rows))
        return report

    def written_models(self) -> list[type[models.Model]]:
        """The tables an applied import filled (their planner statistics are refreshed)."""
        return [self.model]

    @abstractmethod
    def new_report(self, dry_run: bool, job_id: str) -> ImportReport:
        """An empty report of this engine's kind."""

    @abstractmethod
    def read(self, stream: IO[bytes], filename: str) -> tuple[list[str], Iterator[Row]]:
        """The file's header and rows (raises ``TableError``)."""

    @abstractmethod
    def plan_file(
        self, rows: Iterator[Row], report: ImportReport, progress: Progress | None
    ) -> None:
        """Validate every row and record the plan in ``report``."""

    @abstractmethod
    def apply_plan(self, report: ImportReport, job_id: str, progress: Progress | None) -> None:
        """Write the (error-free) plan in one transaction."""


def lookup(
    queryset: models.QuerySet[Any],
    value: str,
    column: str,
    *fields: str,
    label: str | None = None,
) -> Any:
    """Resolve a reference cell by id (``#12`` or ``12`` when numeric) or by one of ``fields``."""
    if not value:
        return None
    for name in fields:
        found = list(queryset.filter(**{f"{name}__iexact": value})[:2])
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise RowError(f"{value!r} matches more than one {label or column}; use its id", column)
    stripped = value.removeprefix("#")
    if stripped.isdigit():
        candidates = list(queryset.filter(pk=int(stripped))[:1])
        if candidates:
            return candidates[0]
    raise RowError(f"{label or column} {value!r} not found", column)
