"""Fixtures for the desktop app tests: a small agency's data and a main window over it.

The window's task runner works inline (Picard's tests do the same), so a search or a save
has finished by the time the next line of a test runs.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

from crm.services.interactions import InteractionInput, log_interaction
from crm.services.organisations import OrganisationInput, add_organisation
from crm.services.people import PersonInput, add_employment, add_person
from crm.services.placements import PlacementInput, add_note, add_placement
from crm.storage.db import Database
from crm.ui.app import pin_singletons

# The app does this at start-up; tests build windows without it (see pin_singletons).
pin_singletons()


@dataclass
class Sample:
    leeds: int
    york: int
    clarion: int
    priya: int  # Priya Patel, candidate, Leeds
    tom: int  # Tom Patel, client contact, York
    grace: int  # Grace Okafor, client contact at Clarion, do not contact
    ewan: int  # Ewan Hughes, formerly at Leeds, now at York
    placement: int
    people: list[int]


@pytest.fixture(scope="session")
def _sample_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Sample]:
    """The sample agency, built once through the services; each test gets a copy."""
    path = tmp_path_factory.mktemp("ui-sample") / "sample.sqlite3"
    db = Database(f"sqlite:///{path}")
    db.upgrade()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CRM_USER", "Test Recruiter")
        built = _build_sample(db)
    db.dispose()
    return path, built


@pytest.fixture
def sample(db: Database, _sample_template: tuple[Path, Sample]) -> Sample:
    """A copy of the sample agency in this test's own database file."""
    path, built = _sample_template
    assert db.sqlite_path is not None
    db.dispose()
    shutil.copyfile(path, db.sqlite_path)
    return built


def _build_sample(db: Database) -> Sample:
    leeds = add_organisation(
        db,
        OrganisationInput(
            name="Leeds Teaching Hospitals NHS Trust",
            sector="health_social_care",
            org_type="nhs_trust",
            region="Yorkshire",
            client_status="client",
        ),
    )
    york = add_organisation(
        db,
        OrganisationInput(
            name="City of York Council", sector="local_government", org_type="council"
        ),
    )
    clarion = add_organisation(
        db,
        OrganisationInput(name="Clarion Housing", sector="housing", org_type="housing_association"),
    )
    priya = add_person(
        db,
        PersonInput(
            first_name="Priya",
            last_name="Patel",
            job_title="Interim Director of Finance",
            organisation_id=leeds,
            is_candidate=True,
            available_from=date.today() + timedelta(weeks=3),
            day_rate_expectation="850",
            tags=["finance"],
            emails=["priya.patel@example.org"],
        ),
    )
    tom = add_person(
        db,
        PersonInput(
            first_name="Tom",
            last_name="Patel",
            job_title="Chief Executive",
            organisation_id=york,
            is_client_contact=True,
        ),
    )
    grace = add_person(
        db,
        PersonInput(
            first_name="Grace",
            last_name="Okafor",
            job_title="Director of Housing",
            organisation_id=clarion,
            is_client_contact=True,
            do_not_contact=True,
        ),
    )
    ewan = add_person(
        db,
        PersonInput(
            first_name="Ewan",
            last_name="Hughes",
            job_title="Head of HR",
            organisation_id=york,
            is_client_contact=True,
        ),
    )
    add_employment(db, ewan, leeds, "HR Business Partner", date(2019, 1, 1), date(2022, 6, 30))
    others = [
        add_person(
            db,
            PersonInput(
                first_name=first,
                last_name=last,
                job_title="Programme Director",
                organisation_id=leeds if i % 2 else clarion,
                is_client_contact=True,
            ),
        )
        for i, (first, last) in enumerate(
            [("Amelia", "Smith"), ("Oliver", "Jones"), ("Isla", "Taylor"), ("Noah", "Brown")]
        )
    ]
    log_interaction(
        db, InteractionInput(person_ids=[priya], summary="Talked about the Leeds finance role")
    )
    placement = add_placement(
        db,
        PlacementInput(
            candidate_id=priya,
            organisation_id=leeds,
            role="Interim Director of Finance",
            status="active",
            charge_rate="850",
            start_date=date.today() - timedelta(days=60),
            end_date=date.today() + timedelta(days=30),
            client_contact_id=tom,
        ),
    )
    add_note(db, placement, "Client happy; discuss an extension in March.")
    return Sample(
        leeds, york, clarion, priya, tom, grace, ewan, placement, [priya, tom, grace, ewan, *others]
    )


@pytest.fixture
def window(qtbot, db: Database, sample: Sample) -> Iterator:  # type: ignore[no-untyped-def]
    from crm.ui.kit.workers import TaskRunner
    from crm.ui.main_window import MainWindow

    w = MainWindow(db, runner=TaskRunner(inline=True), settings=None)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w


@pytest.fixture
def empty_window(qtbot, db: Database) -> Iterator:  # type: ignore[no-untyped-def]
    from crm.ui.kit.workers import TaskRunner
    from crm.ui.main_window import MainWindow

    w = MainWindow(db, runner=TaskRunner(inline=True), settings=None)
    qtbot.addWidget(w)
    w.show()
    yield w
