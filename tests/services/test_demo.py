"""The sample data loads on both backends (PostgreSQL enforces every VARCHAR limit)."""

from __future__ import annotations

from sqlalchemy import func, select

from crm.domain.values import XHandle
from crm.services.demo import fill_demo
from crm.services.demo.data import ORGANISATIONS
from crm.storage.db import Database
from crm.storage.models import Person, XAccount


def test_demo_handles_are_valid_x_handles() -> None:
    for row in ORGANISATIONS:
        handle = row[5]
        if handle:
            assert XHandle.parse(handle).value == handle


def test_demo_fills_sqlite_and_postgresql(any_db: Database) -> None:
    fill_demo(any_db)
    with any_db.read() as session:
        assert session.scalar(select(func.count()).select_from(Person)) == 300
        longest = session.scalar(select(func.max(func.length(XAccount.handle))))
        assert longest is not None and longest <= 15
