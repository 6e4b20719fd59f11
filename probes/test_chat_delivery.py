"""Chat probes: a customer asks about a late delivery in the chat widget."""

import pytest


@pytest.mark.journey("chat_delivery")
def test_chat_delivery(probe):
    probe.check()
