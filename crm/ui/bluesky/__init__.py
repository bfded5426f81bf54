"""Bluesky in the desktop app: syncing linked accounts in the background, linking dialogs."""
