"""Alerts: when the gate fails, a company's grade drops, or a probe turns out undeliverable, say so where people look.

spec.py reads the alerts file; events.py turns a scorecard (and the gate's result) into alert events, each with a
key that names it once and for all; deliver.py posts them to webhooks (Slack-compatible or generic JSON) and sends
them by email, with retries and a ledger in the store so that no event is ever delivered twice to one place.
"""
