"""Messages that a help desk or a mail system sends and that are no answer, though a default could read them as one:
a desk's status notice with nothing of the answer in it, a sign-up confirmation, a password reset, a survey that is
only a link to a survey service. And their neighbours that stay answers. Each written for this file."""

from __future__ import annotations

from tests.quality.test_kinds_rules import kind, mail


def test_a_desk_notice_that_the_request_was_updated_is_other_in_four_languages():
    notices = [
        mail("Hi Clara,\n\nthere is a new reply on your ticket 55123.\n\nLog in to the customer portal to read it and respond:\n"
             "https://portal.desk.example/t/55123\n\nShopdesk\n", subject="Ticket 55123 updated", sender="Shopdesk <updates@desk.example>",
             reply=False),
        mail("Hallo Clara,\n\nzu Ihrer Anfrage 55123 liegt eine neue Antwort vor. Sie können sie in Ihrem Kundenkonto einsehen:\n"
             "https://konto.shop.example/anfragen/55123\n", subject="Neuigkeiten zu Anfrage 55123", sender="Shop <service@shop.example>",
             reply=False),
        mail("Bonjour Clara,\n\nvotre demande 55123 a une nouvelle réponse. Connectez-vous à votre espace client pour la consulter :\n"
             "https://client.boutique.example/demandes/55123\n", subject="Demande 55123", sender="Boutique <service@boutique.example>",
             reply=False),
        mail("Hola Clara:\n\nhay una nueva respuesta en tu solicitud 55123. Puedes leerla en nuestro portal de clientes.\n"
             "https://portal.tienda.example/s/55123\n", subject="Solicitud 55123", sender="Tienda <ayuda@tienda.example>", reply=False),
    ]
    assert [kind(n) for n in notices] == ["other"] * 4


def test_a_request_set_to_solved_without_an_answer_is_other_but_an_answer_that_says_so_stays_an_answer():
    solved = mail("Hello Clara,\n\nyour request #55123 was moved to Solved by our team. Reply to this email within 7 days to "
                  "reopen it.\n\nShopdesk\n", subject="[Shopdesk] Request #55123", sender="Shopdesk <help@desk.example>", reply=False)
    assert kind(solved) == "other"
    answer = mail("Hi Clara,\n\nthe courier confirmed that the parcel was damaged on the way, so a new kettle leaves our warehouse "
                  "today and reaches you on Thursday; keep the broken one, no need to send it back. I've set your ticket to solved, "
                  "just reply if anything else comes up.\n\nTom\n", subject="Re: Broken kettle", sender="Tom <tom@desk.example>")
    assert kind(answer) == "answer"


def test_sign_up_confirmations_and_password_resets_are_other_not_marketing_or_receipts():
    mails = [
        mail("Thanks for signing up for our newsletter! Please confirm your subscription by clicking below:\n"
             "https://shop.example/nl/confirm/77\n", subject="One more step", sender="Shop <news@shop.example>", reply=False),
        mail("Um den Newsletter zu erhalten, bestätige bitte deine Anmeldung über diesen Link:\nhttps://shop.example/nl/ok/77\n",
             subject="Fast geschafft", sender="Shop <news@shop.example>", reply=False),
        mail("Merci ! Pour recevoir nos offres, validez votre inscription en cliquant ici :\nhttps://boutique.example/nl/77\n",
             subject="Dernière étape", sender="Boutique <infos@boutique.example>", reply=False),
        mail("Hemos recibido una petición para restablecer la contraseña de tu cuenta. Si fuiste tú, usa este enlace:\n"
             "https://cuenta.tienda.example/r/77\n", subject="Tu cuenta", sender="Tienda <no-responder@tienda.example>", reply=False),
    ]
    assert [kind(m) for m in mails] == ["other"] * 4


def test_a_person_answering_in_the_thread_about_a_new_password_is_an_answer():
    answer = mail("Hi Clara,\n\nyour account was locked after too many attempts. I've unlocked it, so you can now create a new "
                  "password from the login page and your saved addresses will be there again.\n\nBest,\nTom\n",
                  subject="Re: Cannot log in", sender="Tom <tom@shop.example>")
    assert kind(answer) == "answer"


def test_a_link_to_a_survey_service_makes_a_short_follow_up_a_survey_but_not_an_answers_footer():
    survey = mail("Hi Clara,\n\nyour case 55123 is closed now. Could you spare a minute for us?\n\n"
                  "https://shopco.surveymonkey.example/r/55123\n\nShopco Support\n", subject="Re: Broken kettle",
                  sender="Shopco Support <support@shopco.example>")
    assert kind(survey) == "survey"
    answer = mail("Hi Clara,\n\nthe courier confirmed that the parcel was damaged on the way, so a new kettle leaves our warehouse "
                  "today and reaches you on Thursday; keep the broken one, no need to send it back.\n\nTom, Shopco Support\n\n"
                  "Rate this reply: https://shopco.nicereply.example/r/55123\n", subject="Re: Broken kettle",
                  sender="Tom <tom@shopco.example>")
    assert kind(answer) == "answer"


def test_tell_us_how_it_went_is_a_survey_in_the_thread():
    survey = mail("Hello Clara,\n\nnow that your request is solved, please tell us how it went - it takes under a minute.\n"
                  "https://desk.example/csat/55123\n\nThe support team\n", subject="Re: Broken kettle", sender="Desk <help@desk.example>")
    assert kind(survey) == "survey"


def test_a_person_away_who_will_not_read_mail_until_a_day_is_out_of_office_without_auto_headers():
    replies = [
        mail("Je suis en congé et n'aurai pas accès à mes messages avant lundi prochain.\n\nLéa", subject="RE: Commande 4471"),
        mail("I'm on leave and won't have access to my inbox before next Tuesday morning.\n\nSam", subject="RE: Order 4471"),
        mail("Ich bin im Urlaub und lese meine Mails bis zum kommenden Dienstag nicht.\n\nJonas", subject="AW: Bestellung 4471"),
        mail("Estoy de vacaciones y no tendré acceso a mi correo hasta el próximo martes por la mañana.\n\nMarta", subject="RE: Pedido 4471"),
    ]
    assert [kind(r) for r in replies] == ["out_of_office"] * 4


def test_an_automatic_receipt_that_warns_of_longer_replies_is_an_acknowledgement_in_four_languages():
    receipts = [
        "Hi Clara,\n\nThanks for getting in touch with Lumio. This is an automated message to confirm we have your email. Our team is "
        "currently handling a high volume of requests, so replies may take a little longer than usual.\n\nIn the meantime, many "
        "questions are answered in our Help Center: https://help.lumio.example\n",
        "Hallo Clara,\n\nhiermit bestätigen wir, dass Ihre Nachricht bei uns eingegangen ist. Derzeit kann die Antwort leider etwas "
        "länger dauern als üblich.\n\nIhr Kundenservice\n",
        "Bonjour Clara,\n\nCe message automatique confirme la bonne réception de votre demande. Notre réponse pourrait prendre un peu "
        "plus de temps que d'habitude.\n",
        "Hola Clara:\n\nEste correo confirma la recepción de tu mensaje. Nuestra respuesta puede tardar un poco más de lo habitual.\n",
    ]
    assert [kind(mail(body, subject="Re: Order 4471")) for body in receipts] == ["acknowledgement"] * 4
