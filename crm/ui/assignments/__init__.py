"""Assignments: the list, the assignment page with its shortlist board and matched candidates."""
