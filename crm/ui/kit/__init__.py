"""What every screen shares: the context and its task runner (the one message bridge), errors,
theme, formatting, widgets, table models, the list-page frame, the timeline view, the form
dialog base with conflict handling and delete confirmation (forms), the person and
organisation pickers, keyboard and form helpers (unsaved-edit prompts, focus, Enter and
mnemonics), and the shortcuts sheet."""
