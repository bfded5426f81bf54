"""What every figure of :mod:`bench.run` is measured against: the options, one backend's run
(its database, a raw connection for the floors, the figures so far) and what is typed."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import generate
from bench.stats import Figure, Paired
from crm.storage.db import Database

log = logging.getLogger(__name__)


ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"

#: (label, text): what a recruiter types, from the hard one-letter case to two words.
QUERIES: list[tuple[str, str]] = [
    ("1 letter", "s"),
    ("2 letters", "sm"),
    ("3 letters", "smi"),
    ("surname", "smith"),
    ("organisation word", "barnsley"),
    ("two words", "john smith"),
]

CSV_ROWS_MAX = 100_000  # the import figure is about a 100,000-row file, whatever the size
TWEETS_TO_STORE = 3_200  # what X serves of one account's timeline, in pages of 100


@dataclass
class Options:
    size: int
    seed: int
    repeat: int
    qt_repeat: int
    startup_repeat: int
    import_repeat: int
    tweet_repeat: int
    qt: bool
    work_dir: Path
    pg_url: str
    rebuild: bool
    only: frozenset[str] = frozenset()


@dataclass
class Run:
    """One backend's run: the database, a raw connection for floors, and the figures so far."""

    options: Options
    backend: str
    db: Database
    heavy: int
    generation: generate.GenerationInfo
    raw: Any = None
    figures: list[Figure] = field(default_factory=list)
    bare_rss: list[float] = field(default_factory=list)

    @property
    def sqlite(self) -> bool:
        return self.backend == "sqlite"

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        log.info("%s: %s", figure.label, figure.to_json()["summary"])
        return figure

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        """The floor's way in: SQL straight to the driver on a connection of its own."""
        cursor = self.raw.cursor()
        try:
            cursor.execute(sql, params)
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def mark(self, sql: str) -> str:
        """Driver placeholders: ``?`` for sqlite3, ``%s`` for psycopg."""
        return sql if self.sqlite else sql.replace("?", "%s")


def cpu_extra(run: Run, timing: Paired) -> dict[str, float]:
    """CPU time says little on PostgreSQL, where the server does the work out of process."""
    return timing.cpu_extra() if run.sqlite else {}
