"""Assistance cases (Haven issue 5): journeys, risk, consent-gated referrals, services, follow-ups, and
gender-based violence and trafficking incidents, with protected statistics.

Public entry points: haven.cases.access (permission-checked reads), haven.cases.services (every write),
haven.cases.selectors (page reads), haven.cases.stats (small-cell protection through haven.analytics.disclosure).
"""
