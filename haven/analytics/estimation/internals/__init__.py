"""Implementation of :mod:`haven.analytics.estimation`; import from the package, not from here."""
