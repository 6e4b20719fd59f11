"""Across channels: the contact form, then the chat about the same order. Does the company know who I am?"""

import pytest


@pytest.mark.journey("cross_channel")
def test_cross_channel(probe):
    probe.check()
