"""Keyboard and form helpers every dialog and page shares: unsaved-edit prompts, focus,
Enter and mnemonics."""
