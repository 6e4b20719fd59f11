"""Escalation: an unanswered email, followed up in the chat."""

import pytest


@pytest.mark.journey("escalation")
def test_escalation(probe):
    probe.check()
