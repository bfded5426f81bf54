"""Running an import: one transaction, the rows streamed in batches, a report at the end.

With ``dry_run`` everything is written and rolled back, so the report is exactly what a real
run would do. A refusal of some rows (with ``all_or_nothing``), a cancel, a crash or an error
leaves the database as it was.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from crm.domain.errors import Cancelled, ValidationError
from crm.services.csvfiles import CsvFormat
from crm.services.importing.jobs import Job
from crm.services.importing.mapping import PEOPLE, check_kind
from crm.services.importing.organisations import OrganisationImport
from crm.services.importing.people import PeopleImport
from crm.services.importing.report import ImportOptions, ImportReport, Tally
from crm.services.importing.sources import open_source
from crm.storage.db import Database

log = logging.getLogger(__name__)

ImportProgress = Callable[[int, float], None]
"""Called after each batch with the rows read so far and the fraction of the file read."""

CancelCheck = Callable[[], bool]
"""Returns True when the user has asked to stop."""


def import_file(
    db: Database,
    path: str | Path,
    kind: str,
    *,
    mapping: Mapping[str, int] | None = None,
    fmt: CsvFormat | None = None,
    options: ImportOptions | None = None,
    progress: ImportProgress | None = None,
    cancel: CancelCheck | None = None,
    encoding: str | None = None,
) -> ImportReport:
    """Import ``path`` into ``db`` in one transaction and say what happened.

    ``mapping`` (field -> 0-based column) and ``fmt`` default to what :func:`preview_import`
    would guess. With ``options.dry_run`` everything is done and then rolled back. If
    ``cancel`` returns True the import stops, rolls back and raises
    :class:`~crm.domain.errors.Cancelled`; any other exception rolls back too.
    """
    path = Path(path)
    kind = check_kind(kind)
    options = options or ImportOptions()
    if options.new_organisations not in ("create", "refuse"):
        raise ValidationError("New organisations are either created or refused.")
    started = time.perf_counter()
    tally = Tally()
    source = open_source(path, kind, fmt, mapping, encoding)
    committed = False
    try:
        with _cyclic_gc_paused(), db.session() as session, source:
            job: Job
            if kind == PEOPLE:
                job = PeopleImport(session, tally, options, path.name)
            else:
                job = OrganisationImport(session, tally, options, path.name)
            job.start()
            batch: list[tuple[int, dict[str, str]]] = []
            for item in source:
                batch.append(item)
                if len(batch) >= options.batch_size:
                    _check_cancel(cancel)
                    job.process(batch)
                    batch = []
                    if progress is not None:
                        progress(tally.rows, source.fraction)
            _check_cancel(cancel)
            if batch:
                job.process(batch)
            if progress is not None:
                progress(tally.rows, 1.0)
            job.finish()
            if options.dry_run or (options.all_or_nothing and tally.refused):
                raise _Rollback
        committed = True
    except _Rollback:
        committed = False
    seconds = time.perf_counter() - started
    log.info(
        "Import of %s (%s): %d rows, %d created, %d updated, %d refused in %.1f s%s",
        path.name,
        kind,
        tally.rows,
        tally.created,
        tally.updated,
        tally.refused,
        seconds,
        "" if committed else " (not committed)",
    )
    return ImportReport(
        kind=kind,
        file=str(path),
        dry_run=options.dry_run,
        committed=committed,
        rows=tally.rows,
        created=tally.created,
        updated=tally.updated,
        unchanged=tally.unchanged,
        refused=tally.refused,
        refusals=sorted(tally.refusals, key=lambda r: r.row),
        outcomes=sorted(tally.outcomes, key=lambda o: o.row),
        organisations_created=tally.new_orgs,
        organisations_created_count=tally.new_org_count,
        new_organisations=options.new_organisations,
        seconds=seconds,
        format=source.describe(),
        needs_attention=sorted(tally.attention, key=lambda i: i.row),
        needs_attention_count=tally.attention_count,
    )


class _Rollback(Exception):
    """Raised inside the import's transaction to undo it (dry run, or all-or-nothing)."""


@contextlib.contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while a file is imported.

    A batch keeps tens of thousands of small objects alive (rows, their values, their
    parameters) and the collector, counting them, walks the whole heap every few batches: a
    quarter of a large import's time, for no garbage (what an import frees, reference
    counting frees; peak memory is the same). It resumes afterwards, if it was running.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _check_cancel(cancel: CancelCheck | None) -> None:
    if cancel is not None and cancel():
        raise Cancelled("Import cancelled; nothing was changed.")
