"""Implementation of :mod:`haven.analytics.disclosure`; import from the package."""
