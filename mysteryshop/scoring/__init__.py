"""Scoring: pure functions from stored events to outcomes and metrics, each with its evidence."""
