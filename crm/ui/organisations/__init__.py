"""Organisations: the organisations list, the organisation page and its form."""
