"""Web-form probes: a customer asks for a refund through the contact form, then waits for email."""

import pytest


@pytest.mark.journey("webform_refund")
def test_webform_refund(probe):
    probe.check()
