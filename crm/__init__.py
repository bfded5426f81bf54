"""Interim CRM."""
