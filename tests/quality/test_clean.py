"""Cleaning: the customer's words, signatures, footers and HTML never reach the criteria."""

from hypothesis import given, settings
from hypothesis import strategies as st

from mysteryshop.quality.clean import _WORD, _has_run_in_text, _has_run_of_known_words, _remove_pasted, clean_reply, html_to_text, remove_quoted, split_footer, split_signature
from mysteryshop.quality.text import fold


def test_html_to_text_drops_markup_and_styles_and_decodes_entities():
    text = html_to_text("<html><head><style>p{color:red}</style></head><body><p>Hi Bj&ouml;rn,</p><p>It&rsquo;s <b>done</b>.</p></body></html>")
    assert text.splitlines() == ["Hi Björn,", "", "It’s done."]


def test_html_quote_blocks_become_quoted_lines_that_are_then_removed():
    markup = '<p>We will reply soon.</p><div class="gmail_quote"><div>On Tue, Ann wrote:</div><blockquote>Is it 30 days?</blockquote></div>'
    text = html_to_text(markup)
    assert "> Is it 30 days?" in text
    assert remove_quoted(text) == "We will reply soon."


def test_remove_quoted_cuts_at_attribution_lines_in_several_languages():
    for attribution in ("On Mon, 2 Mar 2026, Ann <a@x.test> wrote:", "Am 02.03.2026 schrieb Ann:", "Le lun. 2 mars 2026, Ann a écrit :", "-----Original Message-----"):
        reply = f"Yes, 30 days.\n\n{attribution}\nCan I return it after 14 days?"
        assert remove_quoted(reply) == "Yes, 30 days.", attribution


def test_remove_quoted_cuts_outlook_header_block():
    reply = "Included on Business.\n\n________________________________\nFrom: Ann <a@x.test>\nSent: Tuesday\nIs it on Team? It is on Team per your site."
    assert remove_quoted(reply) == "Included on Business."
    german = "Ist erledigt.\n\n______________________________\n\nVon: Anna <a@x.test>\nGesendet: Dienstag\nHallo?"
    assert remove_quoted(german) == "Ist erledigt."


def test_a_rule_of_underscores_above_a_signature_banner_is_the_replys_own():
    reply = "Ist erledigt.\n\nLisa Brandt\n______________________________\nJetzt neu: 5G Unlimited für 29,99 € – gleich wechseln"
    assert "Jetzt neu" in remove_quoted(reply)


def test_customer_sentence_pasted_back_without_quote_marks_is_removed():
    customer = "Can I pay for my order in three instalments with Klarna at checkout?"
    reply = f'Regarding your question "{customer}" - please see our payments page.'
    cleaned = remove_quoted(reply, customer)
    assert "Klarna" not in cleaned and "instalments" not in cleaned
    assert "payments page" in cleaned


def test_short_shared_phrases_are_not_mistaken_for_quoting():
    customer = "My vase arrived smashed in the box yesterday."
    reply = "I'm sorry your vase arrived smashed - a replacement ships today."
    assert remove_quoted(reply, customer) == reply


def test_signature_after_sign_off_is_set_aside():
    body, signature = split_signature("Yes, it's free.\n\nKind regards,\nMarta\nTrailhead Outfitters")
    assert body == "Yes, it's free."
    assert signature.startswith("Kind regards,") and "Marta" in signature


def test_signature_after_dash_dash_delimiter_is_set_aside():
    body, signature = split_signature("Done.\n-- \nSam | Oakline")
    assert (body, signature) == ("Done.", "-- \nSam | Oakline")


def test_legal_footer_paragraphs_are_set_aside():
    text = "Yes, 100V to 240V.\n\nThis email is confidential and intended solely for the addressee.\n\nUnsubscribe from special offers."
    body, footer = split_footer(text)
    assert body == "Yes, 100V to 240V."
    assert "confidential" in footer and "Unsubscribe" in footer


def test_clean_reply_uses_html_when_there_is_no_text_part():
    cleaned = clean_reply("", "<p>Hello Ann,</p><p>Your refund is on its way.</p><p>Kind regards,<br>Lena</p>")
    assert cleaned.sentences == ("Hello Ann,", "Your refund is on its way.")
    assert "Lena" in cleaned.signature


def test_clean_reply_keeps_a_promo_banner_in_the_signature_not_the_body():
    cleaned = clean_reply("Your card has $50 left.\n\nBest regards,\nDevon\nBLACK FRIDAY: 40% off planners")
    assert "40% off" not in cleaned.body
    assert "40% off" in cleaned.signature


CUSTOMER = "Hello, I bought the Alpine Trek boots last month (order ORD-104233) and they rub on my heel. Can I still return them?"
FILLER = ["Yes", "you", "can", "return", "them", "the", "boots", "within", "30", "days", "I", "my", "heel", "Thanks", "ORD-104233", "Zoë’s", "£4"]


def shares_a_run_of_eight_words(reply, customer):
    customer_words = _WORD.findall(fold(customer))
    shingles = {tuple(customer_words[i : i + 8]) for i in range(len(customer_words) - 7)}
    words = [fold(w) for w in _WORD.findall(reply)]
    return any(tuple(words[i : i + 8]) in shingles for i in range(len(words) - 7))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(FILLER), st.integers(0, 20).map(lambda i: " ".join(CUSTOMER.split()[i : i + 9]))), max_size=8),
       st.sampled_from([" ", ", ", "\n", ". "]), st.booleans())
def test_pasted_text_is_cut_exactly_when_eight_words_in_a_row_are_shared(pieces, separator, shout):
    reply = separator.join(pieces)
    reply = reply.upper() if shout else reply
    assert (_remove_pasted(reply, CUSTOMER) != reply) == shares_a_run_of_eight_words(reply, CUSTOMER), reply


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["w1", "w2", "w3", "w10", "w12", "ab", "a"]), max_size=30),
       st.lists(st.sampled_from(["w1", "w2", "w3", "w10", "w12", "ab", "a"]), max_size=8))
def test_the_quick_run_test_finds_a_run_exactly_when_the_word_by_word_one_does(words, in_text):
    text = " ".join(in_text)  # substring semantics: "w1" is in "w10"
    assert _has_run_in_text(words, text) == _has_run_of_known_words(words, {w for w in words if w in text})


def test_a_desk_marker_opening_the_mail_is_dropped_and_the_desks_message_below_it_kept():
    text = "##- Please type your reply above this line -##\n\nYour request (48213) has been received.\n\nOn 3 May, Ana wrote:\nMy app crashes."
    assert remove_quoted(text) == "Your request (48213) has been received."
    # below an answer, the marker starts the quoted conversation as before
    assert remove_quoted("The fix is in version 2.4.\n##- Please type your reply above this line -##\nOld text") == "The fix is in version 2.4."
