"""Management commands of the linkage app."""
