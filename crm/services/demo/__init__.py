"""Realistic fictional sample data: a UK interim-management agency's contacts and history.

Every name here is invented. Used by ``crm demo`` and the app's "explore with sample data".
:mod:`.data` holds the sample lists, :mod:`.fill` writes the organisations, people, placements,
interactions and X accounts, :mod:`.assignments` the assignments behind the placements and
:mod:`.social` the X figures for the league table.
"""

from crm.services.demo.fill import fill_demo

__all__ = ["fill_demo"]
