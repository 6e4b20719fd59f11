"""Shapes that real servers, autoresponders, challenge-response services, newsletters and help desks give their mail,
each written for this file in wordings of its own (the patterns come from reading public test corpora: see
`mysteryshop quality eval --kinds` on a kinds_real folder)."""

from __future__ import annotations

from mysteryshop.collect.parse import parse_mail
from mysteryshop.scoring.classify import read_kind
from tests.quality.test_kinds_rules import kind, mail


def test_a_null_sender_saying_the_user_is_not_valid_is_a_bounce():
    message = mail("Hi. You wrote to support@shop.example, but there is no valid user of that name on this system.\n",
                   subject="failure notice", sender="<>", reply=False, Auto_Submitted="auto-replied")
    assert kind(message) == "bounce"


def test_a_challenge_response_request_is_other_even_when_it_says_the_message_arrived():
    waitlisted = mail("Hello Clara,\n\nyour message about \"Order 4471\" has been put on my waiting list.\n\n"
                      "To reach my inbox, please add yourself to my list of approved senders with the link below:\n"
                      "https://screen.example/approve?id=77\n\nThanks,\nBen\n", subject="Re: Order 4471 (action required)",
                      sender="Screener <noreply@screen.example>")
    assert kind(waitlisted) == "other"
    received_then_challenge = mail("We received your email sent on 3 March.\n\nThis mailbox is protected against spam. Please "
                                   "follow the link to have your address added to the recipient's allow list, so that your "
                                   "email is delivered:\nhttps://guard.example/allow/4471\n", subject="RE: Order 4471",
                                   sender="ben@shop.example")
    assert kind(received_then_challenge) == "other"
    # a desk that puts the customer on its list of contacts is not screening them
    ack = mail("Thanks for writing to us, your request 55123 is logged. We have added your address to our customer list, "
               "and an agent will answer within one working day.", subject="Re: Order 4471")
    assert kind(ack) == "acknowledgement"


def test_a_bulk_newsletter_that_talks_about_reviews_is_marketing_not_a_survey():
    text = ("Dear reader,\n\nreviews are the most valuable help when you shop online: more than 80 percent of shoppers read "
            "them before they buy, and our new guide shows how to tell a genuine review from a fake one, which seals of "
            "quality you can trust and how to compare offers across shops.\n\nAlso in this issue: the winter opening hours of our "
            "partner shops, a short interview with the founder of a small tea company from Hamburg, and the results of our "
            "big price comparison of coffee machines.\n\nRead the guide: https://news.example/guide\n\n"
            "Write your own review today and help other shoppers: https://news.example/write\n\n"
            "You receive this newsletter because you subscribed. Unsubscribe: https://news.example/u\n")
    newsletter = mail(text, subject="Reviews: your best help when shopping online", sender="Seal News <news@mail.seal.example>",
                      reply=False, List_Unsubscribe="<https://news.example/u>", Precedence="bulk")
    assert kind(newsletter) == "marketing"
    # a satisfaction survey that also comes through a mailing service, with a scale to rate the request, stays a survey
    survey = mail("Hi Clara,\n\nyour request 55123 was solved. How satisfied were you with our support?\n\n"
                  "1   2   3   4   5\n\nThank you for helping us improve.\n\nUnsubscribe: https://desk.example/u\n",
                  subject="How did we do?", sender="Desk <survey@desk.example>", reply=False,
                  List_Unsubscribe="<https://desk.example/u>", Precedence="bulk")
    assert kind(survey) == "survey"


def test_a_help_desk_message_with_a_mailing_service_footer_is_not_marketing():
    # sent outside the thread, through a mailing service that stamps a Feedback-ID and an unsubscribe footer on all it sends
    answer = mail("Hello Clara,\n\nthe replacement filter for your vacuum left our warehouse this morning with tracking code "
                  "88123 and should arrive on Thursday. Please keep the old filter until the new one is fitted; you do not "
                  "need to return it.\n\nBest regards,\nTom, Haushalt Plus support\n\n"
                  "Manage your email preferences: https://desk.example/prefs\n",
                  subject="Your replacement filter", sender="Haushalt Plus Support <support@haushalt.example>", reply=False,
                  Feedback_ID="1.eu-west-1.abc:AmazonSES", X_Zendesk_From_Account_Id="9f2c1")
    assert kind(answer) == "answer"


def test_sieve_and_zimbra_vacation_headers_mark_an_absence_in_any_language():
    # the vacation action of Sieve (RFC 5230) and Zimbra say "vacation" in Auto-Submitted; the body is in Swedish
    swedish = mail("Hej! Jag är ledig och läser inte min e-post förrän den 14 augusti.\n\nMed vänliga hälsningar\nAnna",
                   subject="Re: Order 4471", sender="Anna <anna@shop.example>", Auto_Submitted="auto-replied (vacation)")
    assert kind(swedish) == "out_of_office"
    zimbra = mail("Ahoj, do 20. 8. jsem mimo kancelář.", subject="Re: Order 4471", sender="Petr <petr@shop.example>",
                  Auto_Submitted="auto-replied (zimbra; vacation)", Precedence="bulk")
    assert kind(zimbra) == "out_of_office"


def test_an_exchange_automatic_reply_with_a_return_date_is_an_absence_in_any_language():
    polish = mail("Dzień dobry,\n\njestem na urlopie do 21.08.2026 r. W pilnych sprawach proszę pisać na adres biuro@shop.example.\n",
                  subject="Automatyczna odpowiedź: Order 4471", sender="Ewa <ewa@shop.example>",
                  X_Auto_Response_Suppress="All", X_MS_Exchange_Inbox_Rules_Loop="ewa@shop.example")
    assert kind(polish) == "out_of_office"
    # the same machinery, used by a desk to confirm a request with a number, is an acknowledgement
    desk = mail("Thank you for contacting us. Your request has been received under number 55123 and will be answered by 14 "
                "August 2026.", subject="Automatic reply: Order 4471", sender="Support <support@shop.example>",
                X_Auto_Response_Suppress="All", X_MS_Exchange_Inbox_Rules_Loop="support@shop.example")
    assert kind(desk) == "acknowledgement"


def test_absence_words_of_more_languages():
    cases = {
        "Jeg er på ferie til og med 18. august og har ikke adgang til min e-mail.": "da",
        "Jag är på semester till och med den 18 augusti.": "sv",
        "Jestem poza biurem do 18 sierpnia.": "pl",
        "Olen lomalla 18.8. asti.": "fi",
        "Ofis dışındayım, 18 Ağustos'ta döneceğim.": "tr",
    }
    for body in cases:
        message = mail(body, subject="Re: Order 4471", sender="Staff <staff@shop.example>", Auto_Submitted="auto-replied")
        reading = read_kind(parse_mail(message))
        assert reading.kind == "out_of_office", (body, reading.evidence)


def test_a_vacation_header_is_an_absence_whatever_words_follow():
    # Hungarian: no cue of the lexicon; the Sieve vacation action says what it is
    hungarian = mail("Augusztus 18-ig szabadságon vagyok, az e-mailjeimet nem olvasom.", subject="Re: Order 4471",
                     sender="Anna <anna@shop.example>", Auto_Submitted="auto-replied (vacation)")
    assert kind(hungarian) == "out_of_office"
    # but a desk's vacation-time receipt with a request number is an acknowledgement
    desk = mail("Thank you for your message. Your request 55123 has been logged; our team answers it within two working days.",
                subject="Re: Order 4471", Auto_Submitted="auto-replied (vacation)")
    assert kind(desk) == "acknowledgement"


def test_an_automatic_reply_that_gives_a_date_and_nothing_else_is_an_absence_in_an_unknown_language():
    romanian = mail("Bună ziua,\n\nsunt în concediu până pe 18.08.2026. Pentru urgențe: birou@shop.example.\n\nMaria",
                    subject="Răspuns automat: Order 4471", sender="Maria <maria@shop.example>",
                    X_Auto_Response_Suppress="All", X_MS_Exchange_Inbox_Rules_Loop="maria@shop.example")
    assert kind(romanian) == "out_of_office"
    # the same reply without a date says nothing of an absence: it is read as before (an automatic reply)
    no_date = mail("Bună ziua,\n\nmulțumim pentru mesaj.\n\nMaria", subject="Răspuns automat: Order 4471",
                   sender="Maria <maria@shop.example>", X_Auto_Response_Suppress="All",
                   X_MS_Exchange_Inbox_Rules_Loop="maria@shop.example")
    assert kind(no_date) != "out_of_office"


def test_transaction_and_account_notices_outside_the_thread_are_other():
    confirmation = mail("Hello Clara,\n\nthanks a lot for your order, we are packing it now.\n\nOrder 10-4471 of 3 March 2026\n"
                        "1 x Cordless vacuum V8 249.00 EUR\nTotal 249.00 EUR\n\nWe will email you again once it leaves our warehouse.",
                        subject="Order confirmation 10-4471", sender="Shop <orders@shop.example>", reply=False)
    assert kind(confirmation) == "other"
    dispatched = mail("Hi Clara, your parcel has been dispatched with DHL, tracking code 00340434161234567890, and should arrive "
                      "on Thursday between 10:00 and 14:00.", subject="On its way!", sender="Shop <noreply@shop.example>", reply=False)
    assert kind(dispatched) == "other"
    account = mail("Hallo Clara, dein Kundenkonto wurde erstellt. Dein Benutzername ist clara.weiss; unter https://shop.example/konto "
                   "verwaltest du Bestellungen und Adressen.", subject="Willkommen", sender="Shop <noreply@shop.example>", reply=False)
    assert kind(account) == "other"
    # in the customer's thread, the same words answer their question about the order
    answer = mail("Hi Clara, I checked for you: your parcel has been dispatched with DHL yesterday, tracking code 00340434161234567890, "
                  "and should arrive on Thursday.", subject="Re: Where is my order 10-4471?")
    assert kind(answer) == "answer"


def test_an_automatic_reply_subject_in_more_languages_with_a_date_is_an_absence():
    # no RFC 3834 header at all: the subject says it is an automatic reply, the body gives a date and nothing else
    for subject in ("Automatikus válasz: Order 4471", "Otomatik yanıt: Order 4471", "Automaattinen vastaus: Order 4471"):
        message = mail("18.08.2026 -ig / -e kadar / asti.", subject=subject, sender="Staff <staff@shop.example>")
        assert kind(message) == "out_of_office", subject


def test_an_auto_generated_digest_with_an_unsubscribe_line_is_other_not_marketing():
    digest = mail("Hello clara_w,\n\nthere are 3 new topics in the board Vacuum cleaners since your last visit:\n\n"
                  "Filter clogs after a week\nhttps://forum.example/t/88123\nStarted by: jens_k, 14 replies\n\n"
                  "Best cordless model for stairs?\nhttps://forum.example/t/88140\nStarted by: mia, 6 replies\n\n"
                  "Battery life in winter\nhttps://forum.example/t/88152\nStarted by: tom_b, 2 replies\n\n"
                  "To stop these updates, unsubscribe from the board here: https://forum.example/unsub/41\n",
                  subject="New topics in Vacuum cleaners", sender="Forum <forum@forum.example>", reply=False,
                  Auto_Submitted="auto-generated", List_Unsubscribe="<https://forum.example/unsub/41>")
    assert kind(digest) == "other"
    # a person's answer that their desk software stamps auto-generated is still an answer
    answer = mail("Hello Clara, I have looked into your order: the filter you need is the type B, it costs 12.90 EUR and I have "
                  "reserved one for you at our Berlin store until Friday.", subject="Your filter", reply=False,
                  Auto_Submitted="auto-generated")
    assert kind(answer) == "answer"


GOODWILL = [
    ("Your request about order 4471", "Dear Ms Weiss, we will replace the damaged lamp free of charge. The new one ships tomorrow and "
     "you can keep the old one. As an apology we have added a 10% discount code to your account for your next order."),
    ("Ihre Anfrage", "Sehr geehrte Frau Weiss, wir tauschen die Lampe kostenlos um. Die neue Lampe wird morgen versandt; die alte "
     "müssen Sie nicht zurückschicken. Als Entschuldigung erhalten Sie 10 % Rabatt auf Ihre nächste Bestellung."),
    ("Votre demande", "Bonjour Madame Weiss, nous remplaçons la lampe gratuitement. La nouvelle part demain et vous pouvez garder "
     "l'ancienne. Pour nous excuser, nous vous offrons une réduction de 10 % sur votre prochaine commande."),
    ("Lámpara dañada", "Hola Sra. Weiss, le cambiamos la lámpara sin coste. La nueva sale mañana y puede quedarse con la antigua. "
     "Como disculpa le ofrecemos un descuento en su próximo pedido."),
]


def test_a_desk_answer_to_a_web_form_with_a_goodwill_offer_is_an_answer_not_marketing():
    # a desk answering a web form writes a new message, outside any thread; its goodwill gesture sells nothing
    for subject, body in GOODWILL:
        assert kind(mail(body, subject=subject, sender="Lumio Service <service@lumio.example>", reply=False)) == "answer", subject
    # a mailing with an unsubscribe line and an offer is still marketing
    promo = mail("Spring is here! Take 20% off all lamps this weekend only with code SPRING20.\n\nShop now: https://lumio.example/sale\n\n"
                 "Unsubscribe: https://lumio.example/u", subject="20% off all lamps", sender="Lumio <news@lumio.example>", reply=False,
                 List_Unsubscribe="<https://lumio.example/u>")
    assert kind(promo) == "marketing"


DELAYS = [
    ("Delayed: Question", "Delivery to the recipients below has been delayed:\n\nsupport@shop.example\n\nThe message hasn't been delivered "
     "yet; delivery will continue to be attempted."),
    ("Retardé : Question", "La remise aux destinataires suivants a été retardée :\n\nsupport@shop.example\n\nD'autres tentatives "
     "seront faites, inutile de renvoyer votre message."),
    ("Retrasado: Pregunta", "La entrega a los destinatarios siguientes se ha retrasado:\n\nsupport@shop.example\n\nSe volverá a intentar "
     "más tarde."),
    ("Ritardato: Domanda", "La consegna ai destinatari seguenti è stata ritardata:\n\nsupport@shop.example\n\nSeguiranno altri tentativi."),
]


def test_delay_notices_of_an_exchange_style_server_in_several_languages_are_other():
    for subject, body in DELAYS:
        message = mail(body, subject=subject, sender="Mail Gateway <postmaster@mx.shop.example>", reply=False)
        assert kind(message) == "other", subject


def test_an_automatic_receipt_in_another_language_with_a_date_is_no_absence():
    italian = mail("Gentile cliente,\n\nabbiamo ricevuto la sua richiesta del 03/03/2026. Le risponderemo al più presto.",
                   subject="Risposta automatica: Ordine 4471", Auto_Submitted="auto-replied")
    assert kind(italian) == "acknowledgement"
    numbered = mail("Hej! Ärende #48213, 03/03/2026.", subject="Automatiskt svar: Order 4471", Auto_Submitted="auto-replied")
    assert kind(numbered) != "out_of_office"


def test_an_autoresponders_absence_subject_decides_over_a_long_disclaimer():
    disclaimer = ("Ez az e-mail és mellékletei bizalmas információkat tartalmazhatnak, és kizárólag a címzett részére szólnak. "
                  "Ha nem Ön a címzett, kérjük, értesítse a feladót, és törölje az üzenetet; a tartalom továbbítása, másolása "
                  "vagy felhasználása tilos. A társaság nem vállal felelősséget az elektronikus továbbítás során keletkezett hibákért.")
    message = mail(f"Köszönöm üzenetét.\n\n{disclaimer}", subject="Out of Office: Order 4471", sender="Anna <anna@shop.example>",
                   Auto_Submitted="auto-replied")
    assert kind(message) == "out_of_office"
    # a desk's holiday notice that logs the request is its acknowledgement
    desk = mail("Our office is closed for the holidays. Your request 55123 has been logged and we will answer it on 5 January.",
                subject="Out of office: Order 4471", Auto_Submitted="auto-replied")
    assert kind(desk) == "acknowledgement"


SURVEYS = [
    ("Re: Il tuo ordine 4471", "Ciao Clara,\n\ngrazie per aver contattato il nostro servizio clienti. Quanto sei soddisfatta "
     "dell'assistenza ricevuta? Compila il nostro breve questionario, bastano due minuti:\nhttps://lumio.example/q/4471\n\nIl team Lumio"),
    ("Re: Uw bestelling 4471", "Beste Clara,\n\nbedankt voor uw contact met onze klantenservice. Hoe tevreden bent u over de hulp "
     "die u kreeg? Vul onze korte vragenlijst in, het duurt twee minuten:\nhttps://lumio.example/q/4471\n\nTeam Lumio"),
    ("Re: A sua encomenda 4471", "Olá Clara,\n\nobrigado por contactar o nosso apoio ao cliente. Como avalia o atendimento que "
     "recebeu? Responda ao nosso breve questionário, demora dois minutos:\nhttps://lumio.example/q/4471\n\nEquipa Lumio"),
]


def test_surveys_in_italian_dutch_and_portuguese_in_the_customers_thread():
    for subject, body in SURVEYS:
        assert kind(mail(body, subject=subject, sender="Lumio <care@lumio.example>")) == "survey", subject


def test_automatic_acknowledgements_in_italian_dutch_and_portuguese():
    for body in ("Gentile cliente, abbiamo ricevuto la sua richiesta. Un nostro operatore la contatterà entro 48 ore.",
                 "Beste klant, wij hebben uw bericht in goede orde ontvangen. Wij nemen binnen twee werkdagen contact met u op.",
                 "Caro cliente, recebemos a sua mensagem. Responderemos dentro de dois dias úteis."):
        assert kind(mail(body, subject="Re: Order 4471", sender="Lumio <care@lumio.example>")) == "acknowledgement", body
