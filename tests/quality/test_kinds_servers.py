"""Mail servers' and autoresponders' messages in the shapes real ones take (found in public bounce corpora: see
mysteryshop quality eval --kinds on a kinds_real folder), each written for this file in wordings of its own."""

from __future__ import annotations

from mysteryshop.collect.parse import parse_mail
from mysteryshop.scoring.classify import read_kind
from tests.quality.test_kinds_rules import kind, mail


def raw(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode()


def test_a_from_without_an_address_is_a_mail_server():
    # the null sender in From ("Gatemail System" <>) and no other sign of a server: its words of failure decide
    message = raw("""From: "Gatemail System" <>
To: clara.weiss@probe.example
Subject: Mail Error
Date: Tue, 3 Mar 2026 10:00:00 +0000

Your mail cannot be delivered to the following address(es):

 support "(0), ErrMsg=mailbox quota exceeded, account=support "

Please check the above address(es) and then try again.
""")
    assert read_kind(parse_mail(message)).kind == "bounce"


def test_a_non_delivery_subject_prefix_and_a_notice_below_it():
    message = mail("--- Non-Delivery Report ---\nThe e-mail below could not be delivered to the following user:\n\n"
                   "support@shop.example\n\nOriginal message follows.\n", subject="Non-Delivery: Question about order 4471",
                   sender="<gateway@shop.example>", reply=False)
    assert kind(message) == "bounce"
    # a reply about a parcel that was not delivered is no mail server's notice
    answer = mail("I am sorry the parcel did not arrive. The courier could not deliver it because the house number was "
                  "missing; we have sent a new one today with tracking code 88123.", subject="Re: Non-delivery of order 4471")
    assert kind(answer) == "answer"


def test_delivery_aborted_is_final():
    message = mail("This is an automatically generated delivery status notification.\n\n"
                   "Delivery was abandoned after 6.0 hour(s): no gateway answers for the domain of your recipient.\n",
                   subject="Delivery status notification", sender="Mail Delivery System <mail.delivery@relay.example>", reply=False)
    assert kind(message) == "bounce"


def _report(action: str, subject: str, text: str) -> bytes:
    return raw(f"""From: Relay <relay@gateway.example>
To: clara.weiss@probe.example
Subject: {subject}
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b1"

--b1
Content-Type: text/plain

{text}

--b1
Content-Type: message/delivery-status

Reporting-MTA: dns; gateway.example

Final-Recipient: rfc822; support@shop.example
Action: {action}
Status: 4.4.7

--b1--
""")


def test_a_delay_report_under_a_failure_subject_is_a_warning():
    delayed = _report("delayed", "Delivery failure notification",
                      "Your message to support@shop.example has not reached the recipient yet.\nDelivery attempts will continue "
                      "for 4 day(s). Please do not resend your original message.")
    reading = read_kind(parse_mail(delayed))
    assert reading.kind == "other" and "delayed" in reading.evidence[0]
    # the same subject over a report that failed is a bounce
    failed = _report("failed", "Delivery failure notification", "Your message could not be delivered to support@shop.example.")
    assert read_kind(parse_mail(failed)).kind == "bounce"


def test_a_free_text_warning_that_the_gateway_goes_on_trying():
    message = mail("Your message with subject: Question about order 4471\ncould not be delivered to the following recipients yet:"
                   "\n\nsupport@shop.example\n\nDelivery attempts will continue to be made for 3 day(s).\n",
                   subject="Delivery failure notification", sender="Mailscanner <scanner@gateway.example>", reply=False)
    assert kind(message) == "other"


def test_held_as_spam_and_delivered_later_is_no_bounce():
    message = mail("Your message to support@shop.example did not reach the recipient yet.\n\nIt was suspected as spam and will be "
                   "delivered to the recipient with a delay (about 4 PM).\n", subject="Blocked message (RBL)",
                   sender="Postmaster <postmaster@shop.example>", reply=False)
    assert kind(message) == "other"


def test_a_sieve_reject_is_a_bounce():
    # RFC 5429: the recipient's filter refused the message; its report may carry no text at all
    message = raw("""From: Mail Delivery Subsystem <postmaster@mx.shop.example>
To: clara.weiss@probe.example
Subject: Automatically rejected mail
Auto-Submitted: auto-replied (rejected)
MIME-Version: 1.0
Content-Type: multipart/report; report-type=disposition-notification; boundary="b2"

--b2
Content-Type: text/plain

--b2
Content-Type: message/disposition-notification

Final-Recipient: rfc822; support@shop.example
Disposition: automatic-action/MDN-sent-automatically; deleted

--b2--
""")
    reading = read_kind(parse_mail(message))
    assert reading.kind == "bounce" and "RFC 5429" in reading.evidence[0]
    # a read receipt is still no bounce
    receipt = message.replace(b"Auto-Submitted: auto-replied (rejected)\r\n", b"").replace(b"Automatically rejected mail", b"Read: order")
    assert read_kind(parse_mail(receipt)).kind == "other"


def test_an_autoresponders_challenge_is_a_notice_whatever_it_copies_below():
    headers = "\n".join(f"Received: from relay{i}.example ([192.0.2.{i}])\n        by mx.shop.example with esmtp (exim 4.96)\n"
                        f"        id 1k9{i}x-000{i}-ab for support@shop.example" for i in range(1, 5))
    message = mail("The message you sent needs you to verify that you are a real person and not a spam source.\n"
                   "To finish, reply to this message and keep the subject as it is.\n\n"
                   f"The headers of your message are shown below:\n\n{headers}\n", subject="Please verify your message",
                   sender="<filter@shop.example>", reply=False, X_Autorespond="8ab31", Precedence="auto_reply")
    assert kind(message) == "other"


def test_a_log_line_that_says_sent_to_is_no_deferral():
    reading = read_kind(parse_mail(mail("Update fetched (v4.28): 3 new signature files. Reload signal sent to scanner[886].",
                                        subject="Signature update report", sender="<updates@shop.example>", reply=False)))
    assert reading.kind != "acknowledgement" and reading.deferral is None
    # passing a request on is still putting the answer off
    assert kind(mail("Thank you for your message. I have forwarded it to our billing team, who will be in touch.")) == "acknowledgement"


def test_melden_sie_sich_an_is_logging_in_not_getting_back():
    reminder = mail("Erinnerung: Teamtreffen am Donnerstag um 10 Uhr.\n\nMelden Sie sich zum Abbestellen dieser Erinnerungen unter "
                    "https://calendar.example/settings an und ändern Sie Ihre Einstellungen.", subject="Erinnerung: Teamtreffen",
                    sender="Kalender <calendar-notification@calendar.example>", reply=False, Auto_Submitted="auto-generated")
    assert kind(reminder) != "acknowledgement"
    # "wir melden uns" still puts the answer off
    assert kind(mail("Vielen Dank für Ihre Nachricht. Wir melden uns, sobald wir eine Antwort an Sie haben.")) == "acknowledgement"


# Out-of-office notices in Italian, Dutch and Portuguese (the cues of kinds.yaml beyond the four scored languages), with and
# without an autoresponder's headers
ABSENCES = [
    ("Risposta automatica: Ordine 4471", ("Buongiorno,\nsono fuori ufficio fino a lunedì 9 marzo con accesso limitato alla posta. "
     "Per urgenze scrivete a ordini@shop.example.\nCordiali saluti\nGiulia Bianchi"), "it"),
    ("Re: Ordine 4471", ("Gentile cliente, rientrerò in ufficio il 12 marzo. Durante la mia assenza la sua e-mail non viene "
     "inoltrata; per richieste urgenti chiami lo 02 1234 5678."), "it"),
    ("Automatisch antwoord: Bestelling 4471", ("Beste,\n\nIk ben tot en met vrijdag 13 maart met vakantie en heb beperkte toegang "
     "tot mijn e-mail. Voor dringende zaken kunt u terecht bij klantenservice@shop.example.\n\nMet vriendelijke groet,\nSanne de Vries"),
     "nl"),
    ("Afwezig: Bestelling 4471", "Tijdens mijn afwezigheid worden e-mails niet doorgestuurd. Vanaf 16 maart ben ik weer bereikbaar.",
     "nl"),
    ("Resposta automática: Encomenda 4471", ("Olá,\nestou de férias até dia 20 de março, com acesso limitado ao e-mail. "
     "Para assuntos urgentes contacte apoio@shop.example.\nCumprimentos,\nJoão Silva"), "pt"),
    ("Re: Encomenda 4471", ("Obrigado pela sua mensagem. Encontro-me fora do escritório e regressarei a 23 de março; "
     "responderei no meu regresso."), "pt"),
]


def test_absence_notices_in_italian_dutch_and_portuguese():
    for subject, body, language in ABSENCES:
        for headers in ({}, {"Auto_Submitted": "auto-replied"}):
            reading = read_kind(parse_mail(mail(body, subject=subject, sender="<person@shop.example>", **headers)))
            assert reading.kind == "out_of_office", (language, subject, headers, reading.evidence)
            assert reading.language == language


def test_exchange_marks_its_automatic_replies():
    # no absence subject, no RFC 3834 header: Exchange's own header says software answered, and the absence is the matter
    body = ("I am out of the office until Thursday 12 March. The spring catalogue with every size, colour and price of the "
            "new collection is attached to this message, together with the order form for wholesale customers.")
    marked = read_kind(parse_mail(mail(body, subject="Re: Order 4471", X_Auto_Response_Suppress="All")))
    assert marked.kind == "out_of_office" and any("x-auto-response-suppress" in e for e in marked.evidence)
    assert read_kind(parse_mail(mail(body, subject="Re: Order 4471"))).kind != "out_of_office"


BOUNCES = [
    ("Messaggio non recapitabile: Ordine 4471", ("Non è stato possibile recapitare il messaggio ai seguenti destinatari:\n"
     "assistenza@shop.example\nIndirizzo inesistente.")),
    ("Onbestelbaar: Bestelling 4471", ("Uw bericht kon niet worden bezorgd bij de volgende ontvangers:\nservice@shop.example\n"
     "De ontvanger bestaat niet.")),
    ("Mensagem não entregue: Encomenda 4471", ("Não foi possível entregar a sua mensagem aos seguintes destinatários:\n"
     "apoio@shop.example\nEndereço inexistente.")),
]


def test_bounces_in_italian_dutch_and_portuguese():
    for subject, body in BOUNCES:
        assert kind(mail(body, subject=subject, sender="<postmaster@relay.example>", reply=False)) == "bounce", subject
