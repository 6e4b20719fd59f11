"""The general rules of the message-kind classifier (scoring/classify.py, scoring/own_text.py), each on messages
written for this file in wordings of its own (not those of the labelled sets under tests/quality/kinds*)."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

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


@pytest.mark.parametrize(("body", "expected"), [(TRANSCRIPT_ACK, "acknowledgement"), (TRANSCRIPT_ANSWER, "answer")])
def test_a_transcripts_oldest_comment_is_the_customers_whoever_the_mail_is_addressed_to(body: str, expected: str) -> None:
    raw = mail(body.replace("Clara Weiss,", "C. W.,"), "[Haushalt Plus] Re: Staubsauger", to="clara.weiss@probe.example",
               Auto_Submitted="auto-generated")
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
    (("Guten Tag,\n\nwir haben Ihre Garantieanfrage erhalten und melden uns innerhalb von fünf Werktagen.\n\n"
     "Produkt: Staubsauger X200\nSeriennummer: 88-1120-4471\nKaufdatum: 03.02.2026\nHändler: Haushalt Plus Filiale Mitte\n\n"
     "Ihr Kundendienst"), "acknowledgement"),
    (("Thanks for your order enquiry, received with thanks.\n\nModel: Kettle K2 brushed steel\nColour: graphite grey\n"
     "Voltage: 230 V"), "acknowledgement"),
    ("Bonne nouvelle : nous avons retrouvé votre colis au dépôt de Lyon, il repart demain et sera livré vendredi avant midi.", "answer"),
])
def test_field_lines_are_records_but_prose_after_a_colon_is_substance(body: str, expected: str) -> None:
    assert kind(mail(body)) == expected


H = dict
# More wordings in four languages, each kind, written for this file: a table to catch a rule that only fits its examples.
MORE = [
 # (expected, kwargs)
 ("acknowledgement", H(body="Hi there,\n\nThanks for getting in touch! We usually reply in a few hours. You'll get our replies here and by email.\n\nThe Team", subject="Re: Order 4471")),
 ("acknowledgement", H(body="Dear Customer,\n\nThis is an automatic confirmation that your message has reached our customer service department. Case reference: CS-0098812.\n\nA member of staff will respond as soon as possible. Please do not reply to this e-mail.\n\nKind regards\nCustomer Services", subject="Your case CS-0098812", reply=False)),
 ("acknowledgement", H(body="Sehr geehrte Damen und Herren,\n\nvielen Dank für Ihre E-Mail. Wir bearbeiten Ihr Anliegen so schnell wie möglich, in der Regel innerhalb von 48 Stunden.\n\nMit freundlichen Grüßen\nIhr Kundenservice", subject="Eingangsbestätigung", reply=False)),
 ("acknowledgement", H(body="Bonjour,\n\nNous accusons bonne réception de votre message. Notre service client s'engage à vous répondre dans un délai de 72 heures ouvrées.\n\nCordialement,\nLe service client", subject="Accusé de réception", reply=False)),
 ("acknowledgement", H(body="Bonjour Madame,\n\nJ'ai transmis votre question à ma collègue du service facturation, elle vous contactera directement.\n\nBonne journée,\nSophie")),
 ("acknowledgement", H(body="Hola:\n\nGracias por escribirnos. Tu mensaje ha quedado registrado y te responderemos en las próximas 24 horas laborables.\n\nUn saludo,\nEquipo de Atención", subject="Acuse de recibo", reply=False)),
 ("acknowledgement", H(body="Dear Clara Weiss,\n\nThank you for contacting us. A new ticket has been opened for your request with the ID #80213. Our support staff will review it and reply shortly.\n\nYou can check the status of your ticket at any time at https://desk.shop.example/tickets/80213\n\nSupport", subject="[#80213] New ticket: Order 4471", reply=False)),
 ("acknowledgement", H(body="Hello,\n\nYour e-mail has been received. Our team works Monday to Friday, 9:00 to 17:00, and answers messages in the order they arrive.\n\nShop Support", subject="Re: Order 4471")),
 ("acknowledgement", H(body="Hi Clara, quick one: I've passed this on to Priya in accounts, she looks after refunds and will email you today.\n\nTom")),
 ("acknowledgement", H(body="Hallo Frau Weiss,\n\ndanke für Ihre Nachricht. Ich kläre das mit unserem Techniker und gebe Ihnen bis Mittwoch Bescheid.\n\nGruß\nJan")),
 ("answer", H(body="Hi Clara,\n\nThanks for reaching out. Unfortunately we can't ship the sofa to Ireland, but our partner store in Dublin carries the same model.\n\nBest\nTom")),
 ("answer", H(body="Hallo Frau Weiss,\n\nvielen Dank für Ihre Nachricht. Der Artikel ist leider ausverkauft; er kommt voraussichtlich in der KW 14 wieder rein. Ich kann Ihnen das Nachfolgemodell für 129 € anbieten.\n\nGruß\nJan")),
 ("answer", H(body="Bonjour,\n\nMerci pour votre message. Oui, la garantie couvre la pompe pendant deux ans : apportez l'appareil en magasin avec la facture, nous le remplaçons sur place.\n\nLuc")),
 ("answer", H(body="Hola Clara:\n\nGracias por tu paciencia. Hemos revisado tu pedido: faltaba una pieza en el almacén y ya la hemos enviado por mensajería urgente, llegará mañana antes de las 14:00.\n\nMarta")),
 ("answer", H(body="Yes, we do. Bring it in any weekday before 5.")),
 ("answer", H(body="Hi Clara,\n\nI checked: the charger is 65 W USB-C, any laptop charger of that size works.\n\nDan")),
 ("out_of_office", H(body="Thank you for your email. I am on parental leave until 1 June 2026. For urgent matters please contact my colleague Ben at ben@shop.example.\n\nKind regards, Anna", subject="Automatic reply: Order 4471", Auto_Submitted="auto-replied")),
 ("out_of_office", H(body="Vielen Dank für Ihre Nachricht. Ich bin krankheitsbedingt bis einschließlich 20.03. nicht im Büro. Ihre E-Mail wird nicht weitergeleitet.", subject="Abwesend: Bestellung", X_Autoreply="yes")),
 ("out_of_office", H(body="Merci pour votre message. Je suis absente jusqu'au 3 novembre inclus. En cas d'urgence, merci de contacter le standard au 01 23 45 67 89.", subject="Absence", reply=False)),
 ("out_of_office", H(body="Gracias por su correo. Estaré de baja médica hasta el 15 de abril. Para temas urgentes, escriba a soporte@shop.example.", subject="Fuera de la oficina", Auto_Submitted="auto-replied")),
 ("out_of_office", H(body="Hi, I'm away on holiday with no laptop until the 23rd. Back then!", subject="Away", reply=False)),
 ("other", H(body="Your message\n\n To: Support\n Subject: Order 4471\n Sent: 3 March 2026 10:12\n\nwas deleted without being read on 5 March 2026 08:00.", subject="Not read: Order 4471", reply=True)),
 ("other", H(body="Ihre Nachricht\n\n An: Kundenservice\n Betreff: Bestellung\n\nwurde am 05.03.2026 08:00 ungelesen gelöscht.", subject="Nicht gelesen: Bestellung")),
 ("other", H(body="Hello,\n\nI protect my inbox with a challenge-response filter. To deliver your message, please confirm you are a real person by clicking the link below:\n\nhttps://verify.mailguard.example/c/91x\n\nThank you.", subject="Please verify your message to sales@shop.example", reply=False)),
 ("other", H(body="Hello Clara,\n\nYour request #55120 \"Order 4471\" has been closed because we did not hear back from you. If you still need help, just reply to this email and it will be reopened.\n\nShop Support", subject="[Shop] Request #55120 closed", reply=False, Auto_Submitted="auto-generated")),
 ("other", H(body="Sehr geehrte Kundin, sehr geehrter Kunde,\n\nIhr Ticket 55120 wurde automatisch geschlossen, da wir keine Rückmeldung erhalten haben.\n\nIhr Support", subject="Ticket 55120 geschlossen", reply=False, Auto_Submitted="auto-generated")),
 ("other", H(body="La entrega a estos destinatarios o grupos se ha retrasado:\n\nventas@shop.example\n\nEl servidor seguirá intentándolo.", subject="Entrega retrasada: pedido", sender="Microsoft Outlook <postmaster@shop.example>")),
 ("other", H(body="Die Zustellung an diese Empfänger oder Gruppen wurde verzögert:\n\nverkauf@shop.example\n\nDer Server versucht es weiter.", subject="Zustellung verzögert: Bestellung", sender="Microsoft Outlook <postmaster@shop.example>")),
 ("other", H(body="La remise à ces destinataires ou groupes est retardée :\n\nventes@shop.example\n\nLe serveur va réessayer.", subject="Remise différée : commande", sender="Microsoft Outlook <postmaster@shop.example>")),
 ("survey", H(body="Hi Clara,\n\nThanks for shopping with us! How would you rate your delivery experience? Just pick a score from 1 to 5 here: https://shop.example/nps/77\n\nShop", subject="How did we do?", reply=False)),
 ("survey", H(body="Hallo Clara,\n\nwie zufrieden sind Sie mit der Bearbeitung Ihres Anliegens? Ihre Bewertung hilft uns, besser zu werden.\n\nhttps://umfrage.shop.example/s/55120", subject="Ihre Meinung zählt", reply=False)),
 ("survey", H(body="Bonjour Clara,\n\nVotre avis nous intéresse ! Répondez à 3 questions sur votre dernier échange avec notre service client : https://avis.shop.example/q/1\n\nMerci !", subject="Votre avis", reply=False)),
 ("survey", H(body="Hola Clara:\n\n¿Cómo fue tu experiencia con nuestro equipo de soporte? Cuéntanoslo en una encuesta de un minuto: https://encuesta.shop.example/e/12\n\n¡Gracias!", subject="Tu opinión", reply=False)),
 ("marketing", H(body="SPRING SALE\n\nUp to 40% off sofas and armchairs this weekend only.\n\nShop the sale: https://shop.example/sale\n\nUnsubscribe | Privacy", subject="Up to 40% off this weekend", reply=False, List_Unsubscribe="<https://shop.example/u>")),
 ("marketing", H(body="Hallo Clara,\n\ndein Warenkorb wartet noch auf dich! Die Laufschuhe Modell Aero sind fast ausverkauft. Jetzt bestellen und 10 % sparen mit dem Code AERO10.\n\nDein Laufladen", subject="Hast du etwas vergessen?", reply=False)),
 ("marketing", H(body="Bonjour Clara,\n\nVous avez laissé des articles dans votre panier. Finalisez votre commande avant qu'ils ne soient plus disponibles !\n\nVoir mon panier", subject="Votre panier vous attend", reply=False, List_Unsubscribe="<https://shop.example/u>")),
 ("marketing", H(body="Hola Clara:\n\nComo clienta de nuestro seguro de hogar, te ofrecemos el seguro de coche con un 15 % de descuento el primer año.\n\nPide tu presupuesto", subject="Una oferta para ti", reply=False)),
 ("answer", H(body="Hi Clara,\n\nThanks for your email. I've looked into it and the parcel is held at the depot because the address was missing a flat number. I've added it, and it goes out again tomorrow.\n\nDan")),
 ("answer", H(body="Dear Ms Weiss,\n\nWe have received the returned jacket and refunded 89.00 EUR to your Visa card today. Depending on your bank it can take 3-5 days to show.\n\nKind regards\nCustomer Care")),
 ("answer", H(body="Guten Tag Frau Weiss,\n\nwir haben Ihre Rücksendung erhalten und den Betrag von 59,90 € heute auf Ihr Konto erstattet.\n\nFreundliche Grüße\nKundenservice")),
 ("answer", H(body="Bonjour Madame Weiss,\n\nNous avons bien reçu votre colis retour. Le remboursement de 42 € a été effectué ce matin sur votre carte bancaire.\n\nCordialement")),
 ("answer", H(body="Hola Clara:\n\nHemos recibido la devolución y ya te hemos reembolsado los 35 € en tu tarjeta. Lo verás en 2 o 3 días.\n\nSaludos")),
 ("answer", H(body="Hi Clara - no, sorry, we don't do same-day delivery to your area. Next-day is the fastest option (4.99).\n\nDan")),
 ("answer", H(body="Hi,\n\nPlease see attached the invoice you asked for.\n\nThanks,\nAccounts")),
 ("answer", H(body="Hallo,\n\nanbei die gewünschte Rechnung als PDF.\n\nGruß\nBuchhaltung")),
 ("answer", H(body="Hi Clara,\n\nthe store on King Street is open until 8pm on Thursdays, and they have the blue kettle in stock.\n\nDan")),
 ("answer", H(body="Bonjour,\n\nLe magasin de Lille est ouvert du lundi au samedi de 9 h à 19 h et a bien le modèle en stock.\n\nLuc")),
 ("answer", H(body="Hi Clara,\n\nI'm sorry for the trouble. I've issued a replacement order, number 88-1203, which ships today by express; no need to return the broken one.\n\nDan", subject="Re: Broken lamp")),
 ("acknowledgement", H(body="<p>Hi Clara,</p><p>We&rsquo;ve got your message and a real human will reply soon &ndash; usually within a day.</p><p>Team Lumio</p>", html="<p>Hi Clara,</p><p>We&rsquo;ve got your message and a real human will reply soon &ndash; usually within a day.</p><p>Team Lumio</p>")),
 ("acknowledgement", H(body="Hello Clara,\n\nWe have logged your complaint under reference CMP-22187. A complaints handler will be assigned and will contact you within 10 working days. We aim to resolve complaints within 8 weeks.\n\nComplaints Team", reply=False, subject="Your complaint CMP-22187")),
 ("acknowledgement", H(body="Guten Tag,\n\nIhre Reklamation ist bei uns eingegangen. Wir prüfen den Fall und melden uns schnellstmöglich bei Ihnen.\n\nIhr Team von Möbel Nord", subject="Ihre Reklamation")),
 ("acknowledgement", H(body="Hallo Clara, danke dir! Ich frag mal in der Werkstatt nach und melde mich morgen.\n\nLG Tim")),
 ("acknowledgement", H(body="Merci pour votre message, nous l'avons bien reçu. Notre équipe vous répondra du lundi au vendredi, de 9 h à 18 h.\n\nL'équipe Maison Blanche")),
 ("acknowledgement", H(body="Buenas tardes:\n\nSu petición ha sido recibida correctamente y ha sido asignada al departamento técnico, que la atenderá en breve.\n\nAtentamente,\nServicio Técnico")),
 ("acknowledgement", H(body="Hola Clara! Recibido 👍 Lo miro esta tarde y te digo.\n\nAna")),
 ("acknowledgement", H(body="Thank you for your message. This is an automated reply to confirm we have received it. We are a small team and answer all emails within 2 business days.", Auto_Submitted="auto-replied", subject="Auto-reply: Order 4471")),
 ("acknowledgement", H(body="Dear customer,\n\nthank you for your enquiry, which has been forwarded to the relevant department. You will receive a reply shortly.\n\nYours sincerely\nCustomer Service", reply=False, subject="Your enquiry")),
 ("out_of_office", H(body="Hello,\n\nI'm out until Monday 9 March with limited access to email. For anything urgent please call the shop on 01234 567890.\n\nGet 10% off your first order with code HELLO10!\n\nMaya", subject="Out of office: Order 4471", Auto_Submitted="auto-replied")),
 ("out_of_office", H(body="Bonjour,\n\nJe suis actuellement en congé maternité. Pendant mon absence, vous pouvez contacter ma collègue Julie : julie@shop.example.\n\nCordialement", subject="Réponse automatique : commande", Auto_Submitted="auto-replied")),
 ("out_of_office", H(body="Hola:\n\nEstoy de vacaciones hasta el 2 de septiembre y no leeré el correo. A mi vuelta contestaré tu mensaje.\n\nUn saludo", subject="Respuesta automática: pedido", X_Autorespond="yes")),
 ("out_of_office", H(body="Sehr geehrte Damen und Herren,\n\nvielen Dank für Ihre E-Mail. Ich bin bis zum 14.04. im Urlaub. In dringenden Fällen wenden Sie sich bitte an info@shop.example.\n\nMit freundlichen Grüßen\nKarl Berg", subject="Automatische Antwort: Bestellung", Auto_Submitted="auto-replied")),
 ("out_of_office", H(body="Thanks for your email. The shop is closed for our summer break from 1 to 14 August. We will answer all messages when we reopen on 15 August.", subject="Re: Order 4471", Auto_Submitted="auto-replied")),
 ("marketing", H(body="Hi Clara,\n\nOur big summer clearance starts today: everything in the outdoor range is half price until Sunday.\n\nSee the deals: https://shop.example/summer\n\nYou receive this newsletter because you signed up at shop.example. Unsubscribe.", subject="Summer clearance starts now", reply=False, List_Unsubscribe="<https://shop.example/u>")),
 ("marketing", H(body="Guten Tag Frau Weiss,\n\nals treue Kundin laden wir Sie zu unserem exklusiven Abverkauf am Samstag ein: alle Polstermöbel 30 % günstiger.\n\nWir freuen uns auf Ihren Besuch!\n\nMöbel Nord", subject="Exklusive Einladung", reply=False)),
 ("marketing", H(body="Bonjour Clara,\n\nDécouvrez notre nouvelle gamme de thés bio, livraison offerte dès 30 € d'achat jusqu'à dimanche.\n\nJe découvre\n\nSe désinscrire", subject="Nouveautés du mois", reply=False)),
 ("marketing", H(body="¡Hola Clara!\n\nSolo este fin de semana: 2x1 en todas las cremas solares. Te esperamos en tienda o en nuestra web.\n\nNo quieres recibir más correos? Date de baja aquí.", subject="¡2x1 en solares!", reply=False)),
 ("survey", H(body="Hi Clara,\n\nYou spoke to Dan from our team yesterday. How satisfied were you with the help you got?\n\nVery satisfied | Satisfied | Neutral | Unsatisfied\n\nThanks!", subject="Your recent support chat", reply=False)),
 ("survey", H(body="Hallo Clara,\n\nwürden Sie uns einem Freund empfehlen? Bewerten Sie uns auf einer Skala von 0 bis 10:\nhttps://umfrage.shop.example/nps?k=1\n\nDanke!", subject="Eine kurze Frage", reply=False)),
 ("survey", H(body="Bonjour Clara,\n\nMerci pour votre achat ! Laissez un avis sur votre commande, cela aide les autres clients : https://avis.shop.example/r/99\n\nL'équipe", subject="Donnez votre avis", reply=False)),
 ("survey", H(body="Hola Clara:\n\n¿Qué tal tu experiencia con nosotros? Valora tu compra del 1 al 5: https://opinion.shop.example/v/5\n\nGracias", subject="Valora tu compra", reply=False)),
 ("other", H(body="Your message to info@shop.example couldn't be delivered to all recipients yet. We'll keep trying for 48 hours.", subject="Delivery delayed: Order 4471", sender="Mail Delivery System <MAILER-DAEMON@mx.shop.example>", reply=False)),
 ("other", H(body="Accepted: Kitchen consultation\n\nClara's appointment on Tuesday 10:00 was accepted by Dan.", subject="Accepted: Kitchen consultation", calendar="BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nEND:VCALENDAR\r\n")),
 ("other", H(body="Votre message\n\n À : Service client\n Objet : commande 4471\n\na été supprimé sans avoir été lu le 05/03/2026 09:12.", subject="Non lu : commande 4471")),
 ("other", H(body="Su mensaje\n\n Para: Atención al cliente\n Asunto: pedido 4471\n\nfue leído el 05/03/2026 09:12.", subject="Leído: pedido 4471")),
 ("other", H(body="Hello Clara,\n\nPlease confirm your email address to finish setting up your account: https://shop.example/confirm/abc\n\nIf you did not sign up, ignore this message.", subject="Confirm your email address", reply=False, Auto_Submitted="auto-generated")),
 ("bounce", H(body="Hello, this is the mail server at mx.shop.example. Your message to info@shop.example could not be delivered: mailbox unavailable. 550 5.1.1", subject="Undelivered Mail Returned to Sender", sender="MAILER-DAEMON@mx.shop.example", reply=False)),
 ("bounce", H(body="Ihre Nachricht konnte nicht zugestellt werden. Der Empfänger verkauf@shop.example ist unbekannt.", subject="Unzustellbar: Bestellung", sender="Microsoft Outlook <postmaster@shop.example>", reply=False)),
 ("acknowledgement", H(body="This is an automated response. Please do not reply.\n\nYour ticket has been created and assigned the ticket ID KXB-918-20331. A member of our staff will respond as soon as possible.\n\nYou can view the ticket at: https://support.shop.example/index.php?/Tickets/Ticket/View/KXB-918-20331\n\nTicket Details\nTicket ID: KXB-918-20331\nDepartment: Support\nPriority: Medium\nStatus: Open", subject="[#KXB-918-20331]: Order 4471", reply=False)),
 ("acknowledgement", H(body="This is an automatically generated response.\n\nThank you for your email. Your request has been registered under ticket number 2026030410000321.\n\nOne of our agents will get back to you as soon as possible.\n\nYour Support Team", subject="[Ticket#2026030410000321] RE: Order 4471", Auto_Submitted="auto-replied")),
 ("acknowledgement", H(body="Thanks for getting in touch! We'll get back to you as soon as we can. You'll get replies here and in your email.", subject="Re: Order 4471", sender="Shop <hello@intercom-mail.shop.example>")),
 ("acknowledgement", H(body="Guten Tag,\n\nvielen Dank für Ihre Anfrage über unser Kontaktformular. Wir haben Ihre Nachricht erhalten und werden sie innerhalb von 48 Stunden beantworten.\n\nIhr Team von Haushalt Plus", subject="Ihre Anfrage bei Haushalt Plus", reply=False, html="<p>Guten Tag,</p><p>vielen Dank für Ihre Anfrage über unser Kontaktformular. Wir haben Ihre Nachricht erhalten und werden sie innerhalb von 48 Stunden beantworten.</p><p>Ihr Team von Haushalt Plus</p>")),
 ("acknowledgement", H(body="Hola Clara,\n\nTu solicitud (#40312) ha sido recibida y está siendo revisada por nuestro equipo de soporte.\n\nPara añadir comentarios adicionales, responde a este correo.\n\nSoporte Haushalt", subject="Re: Pedido 4471", Auto_Submitted="auto-generated")),
 ("acknowledgement", H(body="Bonjour Madame Weiss,\n\nJ'ai bien reçu votre message et je l'ai transmis à mon collègue du service après-vente, qui reviendra vers vous dans la journée.\n\nBien cordialement,\nMarc")),
 ("answer", H(body="Thanks for contacting us!\n\nIf you can't log in: open https://shop.example/reset, enter the email address of your account and follow the link we send you. The link is valid for 30 minutes; if it expires, request a new one. After that, sign in with the new password on the app too.\n\nIf this doesn't solve it, reply to this email and a person will take over.", subject="Re: Cannot log in", Auto_Submitted="auto-replied")),
 ("answer", H(body="Hi Clara,\n\nSam commented on your request SUP-2210:\n\n\"The DNS record is now pointing to the new server. It can take up to an hour to show everywhere; clear your browser cache if you still see the old page.\"\n\nView request · Turn off notifications\n\nPowered by Jira Service Management", subject="[JIRA] (SUP-2210) Website down", Auto_Submitted="auto-generated", Precedence="bulk")),
 ("survey", H(body="Hi Clara,\n\nHope the new kettle is treating you well! I'd love to hear what you think of it, and of how we handled your order - just hit reply.\n\nMaya, Kettle & Co.", subject="How is your kettle?", reply=False)),
 ("survey", H(body="Hallo Frau Weiss,\n\nsind Sie mit der Reparatur zufrieden? Wir würden uns über eine kurze Rückmeldung freuen.\n\nIhr Team von Haushalt Plus", subject="Ihre Reparatur", reply=False)),
 ("survey", H(body="Bonjour Clara,\n\nVotre commande est bien arrivée ? Dites-nous ce que vous en avez pensé en répondant simplement à cet e-mail.\n\nL'équipe", subject="Alors, ce colis ?", reply=False)),
 ("survey", H(body="Hola Clara:\n\n¿Quedaste contenta con la reparación? Nos encantaría conocer tu opinión: responde a este correo con una nota del 1 al 10.\n\nUn saludo", subject="Tu reparación", reply=False)),
 ("other", H(body="Ihre Nachricht an verkauf@shop.example wurde zur Prüfung zurückgehalten, weil der Absender nicht Mitglied der Liste ist.", subject="Ihre Nachricht an verkauf-liste wartet auf Freigabe", reply=False, Precedence="bulk")),
 ("other", H(body="Votre message n'a pas été lu. Cette boîte n'est pas consultée ; merci d'utiliser le formulaire de contact.", subject="Re: commande 4471", Auto_Submitted="auto-replied", sender="noreply@shop.example")),
 ("other", H(body="Your ticket #55120 has been marked as solved and will close automatically in 4 days. Reply to reopen it.", subject="Request #55120 solved", reply=False, Auto_Submitted="auto-generated")),
 ("out_of_office", H(body="Vielen Dank für Ihre E-Mail. Ich bin vom 3. bis 14. März nicht im Büro und habe keinen Zugriff auf meine E-Mails. Ihre Nachricht wird nicht weitergeleitet.\n\nJetzt neu: unser Frühjahrskatalog – 10 % Rabatt mit dem Code FRUEHLING10!", subject="Automatische Antwort: Bestellung", Auto_Submitted="auto-replied")),
 ("out_of_office", H(body="Gracias por tu mensaje. Estoy de permiso de paternidad hasta el 20 de mayo; tu correo se ha reenviado a mi compañera Lucía, que te atenderá.", subject="Respuesta automática: pedido", Auto_Submitted="auto-replied")),
 ("out_of_office", H(body="Bonjour, je suis en arrêt maladie jusqu'au 12 mars. Votre message ne sera pas transféré. Merci de votre compréhension.", subject="Absent", Auto_Submitted="auto-replied")),
 ("marketing", H(body="Hi everyone,\n\nJust a heads up that my Easter market stall is back this Saturday with new hand-painted eggs, 5 for £12.\n\nHope to see you there!\nRosie", subject="Easter market this Saturday", to="undisclosed-recipients:;", reply=False)),
 ("marketing", H(body="Sehr geehrte Frau Weiss,\n\nals Kundin unserer Hausratversicherung können Sie jetzt auch Ihr Fahrrad versichern – im ersten Jahr 20 % günstiger.\n\nJetzt Angebot berechnen", subject="Ihr Fahrrad verdient Schutz", reply=False, List_Unsubscribe="<https://shop.example/u>")),
]


@pytest.mark.parametrize(("expected", "message"), MORE, ids=[f"{i}-{kind}" for i, (kind, _) in enumerate(MORE)])
def test_more_wordings_in_four_languages(expected: str, message: dict[str, str]) -> None:
    fields = dict(message)
    assert kind(mail(fields.pop("body"), **fields)) == expected


def test_the_words_a_cue_needs_are_in_every_text_it_matches() -> None:
    """kind_words tries a part of a group only on text holding a word its cues need: read off each cue's pattern,
    that must hold for every match (else a cue would silently stop matching)."""
    import re

    from ruamel.yaml import YAML

    from mysteryshop.quality.text import fold
    from mysteryshop.scoring.kind_words import _needed

    assert _needed(r"(will|shall) (get back|reply) to you") == frozenset({" to you"})
    assert _needed(r"about (ref|nr)") == frozenset({"about "})
    assert _needed(r"about (ref|nr)", frozenset({"about"})) == frozenset({"ref", "nr"})  # a common word rules little out
    assert _needed(r"(ticket|case) closed") == frozenset({" closed"})
    assert _needed(r"(ticket|case) (is )?closed", frozenset({"closed"})) == frozenset({"ticket", "case"})
    assert _needed(r"(ab)?(cd)?") is None  # nothing is required of a match
    with (Path(__file__).resolve().parents[2] / "mysteryshop/scoring/kinds.yaml").open(encoding="utf-8") as handle:
        data = YAML(typ="safe").load(handle)
    texts = [fold(fields["body"] + "\n" + fields.get("subject", "")) for _, fields in MORE]
    common = kind_words().stopwords
    for group, by_language in data.items():
        if group in ("stopwords", "promise"):
            continue
        for cues in by_language.values():
            for cue in cues:
                needed = _needed(cue, common)
                if needed is None:
                    continue
                for text in texts:
                    for found in re.finditer(cue, text, re.MULTILINE):
                        assert any(word in found.group() for word in needed), (group, cue, found.group())
