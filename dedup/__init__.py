"""Deduplication: MinHash near-duplicates, exact substrings, cross-run index (issue 5)."""
