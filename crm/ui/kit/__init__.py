"""What every screen shares: the context and its task runner, errors and messages, theme,
formatting, widgets, table models, the list-page frame, the timeline view, keyboard and form
helpers (unsaved-edit prompts, focus, Enter and mnemonics), and the shortcuts sheet."""
