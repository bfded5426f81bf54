"""Use cases: one function per user action, each one transaction with an audit entry.

Every function takes the :class:`crm.storage.db.Database` first, opens its own short session
and returns plain data (the dataclasses in :mod:`crm.services.views`), never ORM objects, so
callers (the CLI, Qt workers) hold no session.
"""
