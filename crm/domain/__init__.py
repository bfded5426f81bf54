"""Plain-Python domain rules: enumerations, value objects and errors. No Qt, no SQL."""
