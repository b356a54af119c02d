"""Django side of record linkage: runs, the review queue, reversible merges, and the ``haven link`` commands."""
