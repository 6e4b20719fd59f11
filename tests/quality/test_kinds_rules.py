"""The general rules of the message-kind classifier (scoring/classify.py, scoring/own_text.py), each on messages
written for this file in wordings of its own (not those of the labelled sets under tests/quality/kinds*)."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from mysteryshop.collect.parse import CALENDAR, parse_mail
from mysteryshop.scoring.classify import rating_scale, read_kind
from mysteryshop.scoring.kind_words import kind_words
from mysteryshop.scoring.own_text import own_text

CUSTOMER = "Clara Weiss <clara.weiss@probe.example>"


def mail(body: str, subject: str = "Re: My order 4471", sender: str = "Help <help@shop.example>", to: str = CUSTOMER,
         reply: bool = True, html: str | None = None, calendar: str | None = None, **headers: str) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    if reply:
        message["In-Reply-To"] = "<q1@probe.example>"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")
    if calendar is not None:
        message.add_alternative(calendar, subtype="calendar", params={"method": "REQUEST"})
    return message.as_bytes()


def kind(raw: bytes) -> str:
    reading = read_kind(parse_mail(raw))
    assert reading.evidence and all(reading.evidence)
    return reading.kind


# The customer's own message, sent back inside the company's mail, is not the company's words.
TRANSCRIPT_ACK = """##- Bitte schreiben Sie Ihre Antwort oberhalb dieser Zeile -##

Ihre Anfrage (77102) wurde erfasst.

--------------------------------

Clara Weiss, 4. März 2026, 08:12

Guten Morgen, mein Staubsauger saugt seit gestern nicht mehr richtig, der Filter ist neu. Was kann ich tun? Gilt die Garantie noch?

Dieser Dienst wird bereitgestellt von Haushalt Plus.
"""
TRANSCRIPT_ANSWER = """##- Please write your reply above this line -##

Your request (77102) has been updated.

--------------------------------

Tom (Haushalt Plus), 4 Mar 2026, 11:40

Hi Clara,

a vacuum that loses suction with a new filter almost always has a blocked hose. Detach the hose at both ends and push
a broom handle through it; the warranty covers the motor for two years, so if that does not help, we swap the unit.

Tom

--------------------------------

Clara Weiss, 4 Mar 2026, 08:12

My vacuum has lost suction since yesterday although the filter is new. What can I do? Is it still under warranty?
"""
FORM_COPY = """Bonjour,

Voici une copie de votre demande :

Nom : Clara Weiss
Commande : HP-4471
Message : Le colis est arrivé abîmé, le couvercle de la boîte est cassé et un verre est fêlé.

Un conseiller vous répondra sous deux jours ouvrés.

Haushalt Plus
"""


@pytest.mark.parametrize(("raw", "expected"), [
    (mail(TRANSCRIPT_ACK, "[Haushalt Plus] Re: Staubsauger", Auto_Submitted="auto-generated"), "acknowledgement"),
    (mail(TRANSCRIPT_ANSWER, "[Haushalt Plus] Re: Vacuum", Auto_Submitted="auto-generated"), "answer"),
    (mail(FORM_COPY, "Nous avons votre demande", sender="Haushalt Plus <no-reply@shop.example>", reply=False), "acknowledgement"),
    (mail("New message from Clara Weiss <clara.weiss@probe.example>:\n\nMy vacuum lost suction although the filter is new, "
          "what should I check first and is it under warranty?\n\n----------\nstatus: new\nqueue: support",
          "[case 4471] Vacuum lost suction", sender="Clara Weiss <tracker@shop.example>"), "acknowledgement"),
])
def test_the_customers_echoed_message_is_not_the_companys_substance(raw: bytes, expected: str) -> None:
    assert kind(raw) == expected


def test_own_text_names_the_customer_from_the_to_header() -> None:
    parsed = parse_mail(mail(TRANSCRIPT_ACK, Auto_Submitted="auto-generated"))
    own = own_text(parsed, kind_words())
    assert own.echoed and "Staubsauger" not in own.text and "oberhalb" not in own.text and "77102" in own.text
    # a greeting that names the customer is the company's own line, not an attribution
    greeting = own_text(parse_mail(mail("Hallo Clara Weiss, 12 Stück sind ab Lager lieferbar.\n\nGruß")), kind_words())
    assert not greeting.echoed and "12 Stück" in greeting.text


# Receipt and deferral take their whole clause out of the substance; what else is said stays.
@pytest.mark.parametrize(("body", "expected"), [
    ("Hi Clara, got your note, thanks. Let me ask our installer which bracket fits, and I'll come back to you tomorrow.\n\nDan",
     "acknowledgement"),
    (("Guten Tag,\n\nvielen Dank für Ihre Anfrage. Wir haben sie unter der Nummer 55123 erfasst und melden uns spätestens in drei "
     "Werktagen.\n\nIhr Service-Team"), "acknowledgement"),
    ("Bonjour Madame,\n\nbien reçu, je regarde avec l'atelier si la pièce est encore disponible et je reviens vers vous demain matin.\n\nLuc",
     "acknowledgement"),
    (("Hola Clara:\n\nHemos recibido tu consulta (n.º 88213). Uno de nuestros agentes la revisará y te contestará en un plazo de 48 horas.\n\n"
     "Mientras tanto, quizá encuentres la respuesta en https://ayuda.shop.example/articulos/envios\n\nAtención al cliente"),
     "acknowledgement"),
    (("Hallo Frau Weiss,\n\nich habe mit dem Lager gesprochen: Ihr Paket wurde gestern verschickt, die Sendungsnummer ist 00340434161094015902, "
     "die Zustellung ist für Freitag angekündigt.\n\nViele Grüße\nJan"), "answer"),
    (("Hi Clara,\n\nthanks for your patience. Your refund of 45 EUR went out today and should be on your card within five days; "
     "I'll let you know if the bank asks for anything else.\n\nSam"), "answer"),
    ("Hola Clara:\n\nSí, el envío a Baleares cuesta 12 € y tarda tres días laborables. Te aviso cuando salga el paquete.\n\nMarta", "answer"),
    (("Bonjour,\n\nBonne nouvelle : le modèle que vous cherchez revient en stock jeudi, au prix de 89 €, et nous pouvons vous le mettre "
     "de côté jusqu'à samedi.\n\nLuc"), "answer"),
])
def test_receipt_and_deferral_are_not_substance_in_four_languages(body: str, expected: str) -> None:
    assert kind(mail(body)) == expected


def test_a_deferral_clause_beside_an_answer_keeps_the_answer_an_answer_and_a_deferral_alone_is_stalling() -> None:
    alone = read_kind(parse_mail(mail("Hi Clara,\n\nthanks, I need to check this with our supplier and will get back to you "
                                      "by Thursday.\n\nDan")))
    assert alone.kind == "acknowledgement" and alone.stalling
    both = read_kind(parse_mail(mail("Hi Clara,\n\nthe blue model is discontinued, but the grey one has the same motor and costs "
                                     "20 EUR less; I'll check with our supplier whether any blue ones are left.\n\nDan")))
    assert both.kind == "answer"


@pytest.mark.parametrize(("body", "subject", "headers", "expected"), [
    ("I'm attending a trade show in Milan and won't be able to reply before 14 March.", "Automatic reply: Order 4471",
     {"Auto_Submitted": "auto-replied"}, "out_of_office"),
    ("Guten Tag,\n\nich bin diese Woche auf einer Fortbildung und ab Montag wieder erreichbar.\n\nBeste Grüße\nJana Roth", "Re: Bestellung 4471",
     {"X_Autoreply": "yes"}, "out_of_office"),
    ("Bonjour,\n\nnotre boutique sera fermée du 1er au 15 août. Nous traiterons votre message à la réouverture.\n\nLa boutique",
     "Réponse automatique : commande 4471", {"Auto_Submitted": "auto-replied"}, "out_of_office"),
    ("Ya no trabajo en Muebles Sur. Para cualquier consulta escriba a info@muebles-sur.example.", "Re: pedido 4471",
     {"Auto_Submitted": "auto-replied"}, "out_of_office"),
    ("Hello,\n\nPlease note that Anna Smith is no longer with the company. Orders are now handled by orders@shop.example.",
     "Automatic reply: Order 4471", {"Auto_Submitted": "auto-generated"}, "out_of_office"),
    # a closed desk that has logged the request acknowledges it
    (("Hello,\n\nOur offices are closed until 2 January. Your request has been logged as #45123 and we will reply when we reopen.\n\n"
     "Support"), "Re: Order 4471", {"Auto_Submitted": "auto-replied"}, "acknowledgement"),
])
def test_absence_in_its_several_forms(body: str, subject: str, headers: dict[str, str], expected: str) -> None:
    assert kind(mail(body, subject, **headers)) == expected


ICS = "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nSUMMARY:Beratung\r\nDTSTART:20260310T090000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"


@pytest.mark.parametrize(("raw", "expected"), [
    (mail("Hola Clara, te espero el martes a las 10:00 en la tienda para revisar la cafetera juntos.", "Cita: revisión de cafetera",
          calendar=ICS), "other"),
    (mail("Ihre Nachricht\n\n  An: Kundendienst\n  Betreff: Rechnung 4471\n\nwurde am 12.03.2026 um 10:14 gelesen.", "Gelesen: Rechnung 4471"),
     "other"),
    (mail("Your message to sales@shop.example has been quarantined by our mail filter and will be released after an administrator "
          "reviews it. Nothing else is needed from you.", "Message held: Order 4471", sender="Mail Filter <filter@shop.example>",
          reply=False, Auto_Submitted="auto-generated"), "other"),
    (mail("Bonjour,\n\nconfirmez votre adresse e-mail pour accéder à votre espace client : https://compte.shop.example/v/8812\n\n"
          "Ce lien expire dans 24 heures.", "Votre espace client", reply=False, Auto_Submitted="auto-generated"), "other"),
    (mail("This address is unattended and your email has not been read. Please use the contact form at https://shop.example/contact.",
          "Re: Order 4471", sender="no-reply@shop.example", Auto_Submitted="auto-replied"), "other"),
])
def test_notices_are_other(raw: bytes, expected: str) -> None:
    assert kind(raw) == expected


def test_a_calendar_part_is_read_at_parse_time_and_kept_with_the_headers() -> None:
    parsed = parse_mail(mail("See you then.", "Invitation", calendar=ICS))
    assert parsed.kind_headers.get(CALENDAR) == "request"
    assert CALENDAR not in parse_mail(mail("See you then.")).kind_headers


@pytest.mark.parametrize(("raw", "expected"), [
    (mail("Hello everyone!\n\nOur autumn pottery workshops are open for booking: evening classes from £35, only 8 places in each. "
          "Reply to this email to book yours.\n\nMaya", "Autumn workshops", sender="Maya <maya@studio.example>",
          to="undisclosed-recipients:;", reply=False), "marketing"),
    (mail("Vous nous manquez ! Profitez de 15 € offerts sur votre prochaine commande, valable jusqu'au 30 novembre.",
          "Clara, un cadeau pour vous", reply=False, List_Unsubscribe="<https://shop.example/u/1>"), "marketing"),
    (mail("Queridos clientes:\n\nya han llegado las nuevas bicicletas eléctricas, desde 899 €. ¡Os esperamos en la tienda!\n\nBicis Sur",
          "Novedades de primavera", reply=False), "marketing"),
    (mail("Hallo Clara,\n\nzum Geburtstag schenken wir dir einen Gutschein über 10 €, einzulösen bis Jahresende im Laden.\n\nDein Radladen",
          "Alles Gute!", reply=False, List_Unsubscribe="<mailto:abmelden@shop.example>"), "marketing"),
    # not marketing: an answer with an upsell line, and a ticket update from a desk that marks all its mail Precedence: bulk
    (mail("Hi Clara,\n\nthe hose for your model is part 33-120 and costs 14 EUR; I've reserved one for you at the counter.\n\n"
          "Dan\n\nNew: free delivery on orders over 50 EUR!"), "answer"),
    (mail("Guten Tag,\n\ndie Rücksendung ist für Sie kostenlos, das Etikett liegt dieser E-Mail bei. Bitte kleben Sie es auf den Karton "
          "und geben Sie ihn in einer Postfiliale ab.\n\nIhr Kundenservice", "[Ticket#2026030410000123] Rücksendung", reply=False,
          Precedence="bulk"), "answer"),
])
def test_marketing_is_read_from_being_sent_to_many_and_selling(raw: bytes, expected: str) -> None:
    assert kind(raw) == expected


@pytest.mark.parametrize(("text", "found"), [
    ("How was your visit?\n\nExcellent https://shop.example/rate/a1/5\nFine https://shop.example/rate/a1/3\nPoor https://shop.example/rate/a1/1",
     True),
    ("Wie war Ihr Kontakt mit uns?\nSehr gut · Gut · Geht so · Schlecht", True),
    ("¿Qué probabilidad hay de que nos recomiendes?\n0 1 2 3 4 5 6 7 8 9 10", True),
    ("Rate us: 1 star ... 5 stars", True),
    # two help articles are links too, but their captions are titles, not ratings; a signature under a question is no row of choices
    (("These might help:\nHow to reset the filter warning https://help.shop.example/a/11\n"
     "Cleaning the brush roll step by step https://help.shop.example/a/12"), False),
    ("Could you send a photo of the label?\n\nDan\nShop Support", False),
])
def test_a_rating_scale_is_found_by_its_structure(text: str, found: bool) -> None:
    assert (rating_scale(text) is not None) == found


@pytest.mark.parametrize(("raw", "expected"), [
    (mail("Hi Clara,\n\nyour case with Dan is closed. Were we any help?\n\nYes, thanks https://shop.example/fb/c9/yes\n"
          "Not really https://shop.example/fb/c9/no\n\nShop Support", "Your case 4471", reply=False), "survey"),
    (mail("Hallo Clara,\n\nIhr Anliegen ist erledigt. Wie war Ihr Kontakt mit uns?\nSehr gut · Gut · Geht so · Schlecht\n\nIhr Service",
          "Ihr Anliegen 4471", reply=False), "survey"),
    # a rating footer under a full answer leaves it an answer
    (mail("Hi Clara,\n\nthe filter warning resets when you hold the power button for ten seconds with the bin removed; the light "
          "blinks twice to confirm. If it comes back within a week, the sensor is dirty: wipe it with a dry cloth.\n\nDan\n\n"
          "How did I do?\nGreat · Okay · Not good"), "answer"),
])
def test_surveys_by_their_rating_scale(raw: bytes, expected: str) -> None:
    assert kind(raw) == expected


@pytest.mark.parametrize(("body", "expected"), [
    (("Thanks for contacting us. Your ticket 55120 is with our team and we'll reply within one business day.\n\n"
     "While you wait, these articles answer the most common questions:\n\n"
     "Resetting the filter warning\nhttps://help.shop.example/hc/articles/11\n"
     "Cleaning the brush roll\nhttps://help.shop.example/hc/articles/12"), "acknowledgement"),
    (("Wir haben Ihre Nachricht erhalten und melden uns morgen.\n\nSuchen Sie Ihre Bestellung? Den Status finden Sie in Ihrem Konto.\n\n"
     "Passend dazu: unsere Pflegesets, jetzt mit Rabatt."), "acknowledgement"),
])
def test_asides_and_help_links_are_not_substance(body: str, expected: str) -> None:
    assert kind(mail(body, Auto_Submitted="auto-replied")) == expected


@pytest.mark.parametrize(("body", "expected"), [
    ("Ticket: 55120\nStatus: open\nPriority: normal\nUpdated: 2026-03-04 09:12\n\nWe have received your request and will reply soon.",
     "acknowledgement"),
    ("Bonne nouvelle : nous avons retrouvé votre colis au dépôt de Lyon, il repart demain et sera livré vendredi avant midi.", "answer"),
])
def test_field_lines_are_records_but_prose_after_a_colon_is_substance(body: str, expected: str) -> None:
    assert kind(mail(body)) == expected
