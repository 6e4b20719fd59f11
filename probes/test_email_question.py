"""Email probes: a customer asks a product question and waits for what the company does."""

import pytest


@pytest.mark.journey("email_question")
def test_email_question(probe):
    probe.check()
