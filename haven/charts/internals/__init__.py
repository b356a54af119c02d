"""Implementation of :mod:`haven.charts`; import from the package, not from here."""
