"""Data in and out and its care: import, export, backup and restore, GDPR requests, retention
review, and the duplicates review and merge."""
