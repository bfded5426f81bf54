"""The Today page (who to call and why) and its reminders in the tray."""
