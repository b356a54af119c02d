"""Django side of record linkage: the ``haven link`` command (runs and review queue to come)."""
