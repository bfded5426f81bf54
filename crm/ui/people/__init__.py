"""People: the people list, the person page, quick log, and the person, employment and
interaction forms."""
