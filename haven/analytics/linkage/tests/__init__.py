"""Tests of the record linkage package."""
