"""Importing people and organisations from CSV and vCard files: mapping, dry run, bulk load.

The flow a user follows: :func:`preview_import` reads the start of a file, works out its
encoding, delimiter and header, and guesses which column holds which field (for Outlook,
Google Contacts, LinkedIn "Connections" and plain lists of organisations). The user corrects
the mapping, then :func:`import_file` runs once as a dry run (everything is written and rolled
back, so the report is exactly what a real run would do) and once for real.

An import is one transaction: a refusal of some rows, a cancel, a crash or an error leaves
the database as it was. Rows are streamed and written in batches (a batch's lookups are a few
``IN`` queries, its writes a few bulk statements from :mod:`crm.storage.bulk`), so memory
stays flat and 100,000 rows take seconds. Re-importing a file updates what it matched instead
of adding duplicates: people match on email, X handle, or name plus organisation;
organisations on ODS or GSS code, X handle, or name.

The rooms, in the order a file passes through them: :mod:`.mapping` (which column is which
field), :mod:`.sources` (reading the file), :mod:`.rows` (cleaning a row), :mod:`.jobs`,
:mod:`.people` and :mod:`.organisations` (matching and writing a batch), :mod:`.report` and
:mod:`.running` (the transaction around it all). This module hands on what callers use.
"""

from crm.services.importing.mapping import (
    KINDS,
    ORGANISATIONS,
    PEOPLE,
    fields_for,
    guess_mapping,
    resolve_mapping,
)
from crm.services.importing.report import ImportOptions, ImportReport, RowRefusal
from crm.services.importing.running import import_file
from crm.services.importing.sources import ImportPreview, is_vcard, preview_import

__all__ = [
    "KINDS",
    "ORGANISATIONS",
    "PEOPLE",
    "ImportOptions",
    "ImportPreview",
    "ImportReport",
    "RowRefusal",
    "fields_for",
    "guess_mapping",
    "import_file",
    "is_vcard",
    "preview_import",
    "resolve_mapping",
]
