"""The Today page: who to call and why, from follow-ups, endings, availability, cadences, X.

- :mod:`.rules`: the knobs (:class:`~.rules.TodayRules`), the rows and their words;
- :mod:`.sections`: follow-ups, placements ending, available candidates, keep in touch;
- :mod:`.x_signals`: what linked accounts did on X since the recruiter last looked;
- :mod:`.report`: the whole page (:func:`~.report.today_report`) and who to call, ranked;
- :mod:`.writes`: snooze a follow-up;
- :mod:`.cadence`: keep-in-touch cadences per person and per tag, read and set.
"""
