"""X and Bluesky in the desktop app: the X settings and usage pages, running syncs in the
background with their status-bar widget and schedule, follower charts, the sync-problem
banner, and the Bluesky link, find and sync screens."""
