"""Scorecards: computed from the store, written as JSON (for machines) and HTML (for people)."""
