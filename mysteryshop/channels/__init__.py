"""Channels: how a persona reaches the company and how its replies reach the harness."""
