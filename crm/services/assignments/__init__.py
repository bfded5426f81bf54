"""Assignments and shortlists: a client's requirement, the candidates on it, and placing one.

- ``views``: the records the services return (summaries, detail, shortlist cards, matches);
- ``records``: opening, editing, closing, listing and finding assignments;
- ``shortlist``: the stages of a candidate on an assignment, and placing one;
- ``matching``: candidates ranked by fit for an assignment, with the reasons;
"""
