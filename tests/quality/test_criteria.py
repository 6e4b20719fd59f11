"""Each criterion on its tricky cases, built here rather than read from the labelled set."""

import pytest

from mysteryshop.quality import Exchange, score_reply

ANN = {"first_name": "Ann", "last_name": "Lee", "full_name": "Ann Lee", "order_id": "ORD-100200", "email": "ann@probe.test"}


def verdict(criterion, reply, customer="Can I return my boots?", persona=ANN, facts=(), **kw):
    exchange = Exchange(customer_text=customer, reply_text=reply, persona=persona, expected_facts=facts, **kw)
    return score_reply(exchange, [criterion])[criterion]


# acknowledges
@pytest.mark.parametrize("reply", ["Thanks for getting in touch. Yes.", "We have received your request.", "Your ticket #48213 has been created.", "Thank you for flagging this - done."])
def test_acknowledges_explicit_receipt(reply):
    assert verdict("acknowledges", reply).passed is True


def test_acknowledges_not_for_thanks_for_patience_or_a_bare_answer():
    assert verdict("acknowledges", "Thank you for your patience. It ships today.").passed is False
    assert verdict("acknowledges", "Yes, within 30 days.").passed is False


# answers_question
FACTS = [["30 days", "thirty days"], ["free return shipping", "return shipping is free", "free returns"]]


def test_answers_when_every_fact_is_stated_with_evidence():
    result = verdict("answers_question", "You have thirty days to return them. Return shipping is free.", facts=FACTS)
    assert result.passed is True and result.score == 1.0
    assert "thirty days" in result.evidence


def test_wrong_number_does_not_count():
    result = verdict("answers_question", "You have 14 days to return them. Return shipping is free.", facts=FACTS)
    assert result.passed is False and result.score == 0.5
    assert "different number" in result.reason


def test_negation_does_not_count():
    result = verdict("answers_question", "Within 30 days. Unfortunately we cannot offer free return shipping.", facts=FACTS)
    assert result.passed is False
    assert "negated" in result.reason


def test_negation_after_the_fact_does_not_count():
    result = verdict("answers_question", "Bulk export isn't available yet.", facts=[["bulk export"]])
    assert result.passed is False


def test_negation_in_another_clause_does_not_cancel_the_fact():
    assert verdict("answers_question", "If they don't fit, exchanges are free for 60 days.", facts=[["exchanges are free"]]).passed is True
    assert verdict("answers_question", "Sadly exchanges are not free.", facts=[["exchanges are free"]]).passed is False


def test_fact_quoted_from_the_customer_is_not_credited():
    reply = "Your request has been forwarded.\n\nOn Mon, Ann wrote:\n> Is it 30 days with free return shipping?"
    assert verdict("answers_question", reply, customer="Is it 30 days with free return shipping?", facts=FACTS).passed is False


def test_inflections_and_typos_still_match():
    assert verdict("answers_question", "We refunded the duplicate charge.", facts=[["refund the duplicate"]]).passed is True
    assert verdict("answers_question", "I have refnuded the duplicate charge.", facts=[["refunded the duplicate"]]).passed is True


def test_answers_question_is_unscored_without_expected_facts():
    result = verdict("answers_question", "Anything.")
    assert result.passed is None and "no expected facts" in result.reason


# personalized
def test_name_only_in_the_greeting_counts():
    assert verdict("personalized", "Hi Ann,\n\nYes, 30 days.").passed is True


def test_name_only_in_quoted_text_or_signature_does_not_count():
    reply = "Hello,\n\nIn branch only.\n\nKind regards,\nAnn\n\nOn Wed, Ann Lee <ann@probe.test> wrote:\n> Can I?"
    assert verdict("personalized", reply).passed is False


def test_a_name_that_is_also_a_word_is_not_matched_as_the_word():
    will = {"first_name": "Will", "last_name": "Harper", "full_name": "Will Harper"}
    assert verdict("personalized", "Dear valued customer, we will cancel it.", persona=will).passed is False
    assert verdict("personalized", "Hi Will, we will cancel it.", persona=will).passed is True


@pytest.mark.parametrize(
    ("persona", "greeting"),
    [
        ({"first_name": "Zoë", "last_name": "Müller"}, "Dear Ms Mueller,"),
        ({"first_name": "Zoë", "last_name": "Müller"}, "Hi Zoe,"),
        ({"first_name": "Siobhán", "last_name": "O'Connor"}, "Dear Ms O’Connor,"),
        ({"first_name": "Nguyễn Thị", "last_name": "Mai"}, "Hello Ms Mai,"),
        ({"first_name": "陽翔", "last_name": "佐藤", "full_name": "佐藤 陽翔"}, "佐藤様"),
        ({"first_name": "Łukasz", "last_name": "Wiśniewski"}, "Hi Lukasz,"),
    ],
)
def test_names_from_many_locales(persona, greeting):
    assert verdict("personalized", f"{greeting}\n\nDone.", persona=persona).passed is True


def test_order_number_or_earlier_ticket_counts_as_personal():
    assert verdict("personalized", "Order #ORD-100200 ships today.").passed is True
    assert verdict("personalized", "I've reviewed case CAS-1 and CAS-208841.", earlier_context=["CAS-208841"]).passed is True


def test_company_name_in_both_messages_is_not_personal():
    reply = "Hello,\n\nPlease see the help centre.\n\nTaskly Support"
    assert verdict("personalized", reply, customer="My Taskly account is locked.").passed is False


def test_dear_customer_is_reported_as_evidence():
    result = verdict("personalized", "Dear Customer,\n\nYes.")
    assert result.passed is False and result.evidence == "Dear Customer,"


# empathy
def test_empathy_tied_to_the_situation():
    result = verdict("empathy", "I'm so sorry your boots rub - that's no fun.", customer="My new boots rub my heel.")
    assert result.passed is True and "boots" in result.evidence


def test_boilerplate_apology_alone_is_not_empathy():
    result = verdict("empathy", "We apologise for any inconvenience this may have caused. Boots can be returned.", customer="My boots rub.")
    assert result.passed is False and "boilerplate" in result.reason


# sets_expectations
def test_next_step_and_when():
    assert verdict("sets_expectations", "We'll refund you within 5 business days.").passed is True
    assert verdict("sets_expectations", "An engineer will visit on Tuesday.").passed is True


def test_a_policy_deadline_is_not_an_expectation():
    assert verdict("sets_expectations", "Items can be returned within 14 days of delivery.").passed is False


# asks_feedback
def test_asks_whether_resolved():
    assert verdict("asks_feedback", "Did that answer everything?").passed is True
    assert verdict("asks_feedback", "Let me know if the new link works.").passed is True


def test_generic_closing_and_delivery_fallback_are_not_asking():
    assert verdict("asks_feedback", "If you have any further questions, please do not hesitate to contact us.").passed is False
    assert verdict("asks_feedback", "Let us know if the refund doesn't reach your account.").passed is False
    assert verdict("asks_feedback", "Thank you for your feedback.").passed is False


# stalling_autoreply
def test_pure_stall_is_flagged():
    reply = "This is an automated response. Due to high volume, please allow 24-48 hours for a response.\n\nPlease do not reply to this email."
    result = verdict("stalling_autoreply", reply, facts=FACTS)
    assert result.passed is True and "allow 24-48 hours" in result.evidence


def test_auto_reply_carrying_the_answer_is_not_stalling():
    reply = "Thanks - an agent will reply within 24 hours. Meanwhile: returns are accepted for 30 days and return shipping is free."
    assert verdict("stalling_autoreply", reply, facts=FACTS).passed is False


# marketing
def test_promo_in_body_or_signature_banner_is_marketing():
    assert verdict("marketing", "Yes. Use code AUTUMN20 for 20% off your next order!").passed is True
    assert verdict("marketing", "Yes.\n\nBest regards,\nDevon\nBLACK FRIDAY: up to 40% off - shop now").passed is True


def test_goodwill_discount_and_legal_footer_are_not_marketing():
    assert verdict("marketing", "As an apology, I've added a 15% discount to your account.").passed is False
    reply = "Yes.\n\nThanks,\nRui\n\nBrightside Ltd, registered in England. Privacy policy. Unsubscribe from special offers."
    assert verdict("marketing", reply).passed is False


# asks_again
def test_asking_for_an_order_number_already_given():
    result = verdict("asks_again", "Please provide your order number.", customer="Order ORD-100200 is late.")
    assert result.passed is True and "order number" in result.reason


def test_asking_for_something_not_given_is_fine():
    assert verdict("asks_again", "Please provide your order number.", customer="My parcel is late.", channel="chat").passed is False


def test_asking_for_the_email_address_on_the_email_channel_is_asking_again():
    assert verdict("asks_again", "Please confirm the email address on your account.", channel="email").passed is True
    assert verdict("asks_again", "Please confirm the email address on your account.", channel="chat", customer="Hi").passed is False


def test_asking_for_a_photo_already_attached():
    assert verdict("asks_again", "Could you send a photo of the damage?", customer="I've attached two photos of the vase.").passed is True


# readability
def test_legalese_wall_is_not_readable():
    sentence = ("In accordance with the terms and conditions applicable to the manufacturer's limited warranty, which extends for a period "
                "of twenty-four months from the original date of purchase as evidenced by a valid proof of purchase, defects arising "
                "under normal domestic use are eligible for remedy at the manufacturer's discretion.")
    result = verdict("readability", sentence)
    assert result.passed is False and result.score is not None and result.score < 0.45


def test_short_plain_reply_is_readable_even_with_one_long_word():
    assert verdict("readability", "Your request has been forwarded to the relevant department.").passed is True
