"""Every criterion in German, French and Spanish (and English), and what happens in a language it has no lexicon for."""

from pathlib import Path

import pytest

from mysteryshop.language import detect
from mysteryshop.quality import CRITERIA, Exchange, score_many, score_reply
from mysteryshop.quality.clean import clean_reply
from mysteryshop.quality.criteria import REGISTRY, supported_languages
from mysteryshop.quality.labelled import load_labelled
from mysteryshop.quality.lexicons import (
    Lexicon,
    LexiconError,
    lexicon,
    lexicon_languages,
)
from mysteryshop.quality.reply_language import plainly_english, plainly_in
from mysteryshop.quality.scoring import clean

HERE = Path(__file__).parent
PERSONA = {"first_name": "Anna", "last_name": "Keller", "full_name": "Anna Keller"}

# (language, criterion, customer, reply, expected verdict); the customer's text is the same for both verdicts of a pair
CASES = [
    # German
    ("de", "acknowledges", "Wo ist mein Paket?", "Vielen Dank für Ihre Nachricht. Das Paket ist unterwegs und kommt morgen an.", True),
    ("de", "acknowledges", "Wo ist mein Paket?", "Das Paket ist unterwegs und kommt morgen bei Ihnen an.", False),
    ("de", "personalized", "Wo ist mein Paket?", "Hallo Frau Keller, das Paket ist unterwegs und kommt morgen an.", True),
    ("de", "personalized", "Wo ist mein Paket?", "Sehr geehrte Damen und Herren, das Paket ist unterwegs und kommt morgen an.", False),
    ("de", "empathy", "Mein Kühlschrank ist kaputt und alle Lebensmittel sind verdorben.",
     "Es tut mir wirklich leid, dass Ihr Kühlschrank ausgefallen ist und die Lebensmittel verdorben sind.", True),
    ("de", "empathy", "Mein Kühlschrank ist kaputt und alle Lebensmittel sind verdorben.",
     "Wir entschuldigen uns für etwaige Unannehmlichkeiten. Ein Techniker kann gebucht werden.", False),
    ("de", "sets_expectations", "Mein Kühlschrank ist kaputt.", "Ein Techniker kommt am Donnerstag zwischen 8 und 12 Uhr zu Ihnen.", True),
    ("de", "sets_expectations", "Mein Kühlschrank ist kaputt.", "Danke für Ihre Nachricht. Wir werden uns die Sache genauer ansehen.", False),
    ("de", "sets_expectations", "Mein Kühlschrank ist kaputt.", "Danke für Ihre Nachricht. Wir melden uns bei Bedarf noch einmal bei Ihnen.", False),
    ("de", "sets_expectations", "Mein Kühlschrank ist kaputt.", "Danke für Ihre Nachricht. Wir melden uns morgen früh telefonisch bei Ihnen.", True),
    ("de", "asks_feedback", "Die App stürzt ab.", "Bitte installieren Sie die neue Version. Funktioniert die App jetzt wieder?", True),
    ("de", "asks_feedback", "Die App stürzt ab.", "Bitte installieren Sie die neue Version. Haben Sie noch weitere Fragen?", False),
    ("de", "stalling_autoreply", "Die App stürzt ab.",
     "Vielen Dank für Ihre Anfrage (Ticket 448812). Unser Team meldet sich schnellstmöglich bei Ihnen.", True),
    ("de", "stalling_autoreply", "Die App stürzt ab.",
     "Unser Team meldet sich bei Ihnen. Der Absturz kommt von einem Fehler in Version 3.1, das Update behebt ihn.", False),
    ("de", "marketing", "Wo ist mein Paket?", "Ihr Paket kommt morgen.\n\nViele Grüße\nShopX\n\nJetzt 20 % Rabatt auf alle Jacken mit dem Code JACKE20!", True),
    ("de", "marketing", "Wo ist mein Paket?", "Ihr Paket kommt morgen. Als Entschuldigung haben wir Ihnen 10 Euro gutgeschrieben.", False),
    ("de", "asks_again", "Meine Bestellung 558120 ist nicht angekommen.", "Bitte teilen Sie uns Ihre Bestellnummer mit.", True),
    ("de", "asks_again", "Mein Paket ist nicht angekommen.", "Bitte teilen Sie uns Ihre Bestellnummer mit.", False),
    # French
    ("fr", "acknowledges", "Où est mon colis ?", "Merci pour votre message. Votre colis est en route et arrivera demain.", True),
    ("fr", "acknowledges", "Où est mon colis ?", "Votre colis est en route et arrivera chez vous demain matin.", False),
    ("fr", "personalized", "Où est mon colis ?", "Bonjour Madame Keller, votre colis est en route et arrivera demain.", True),
    ("fr", "personalized", "Où est mon colis ?", "Cher client, votre colis est en route et arrivera demain.", False),
    ("fr", "empathy", "Mon réfrigérateur est en panne et toute la nourriture est perdue.",
     "Je suis vraiment désolée pour votre réfrigérateur, perdre toute la nourriture est très frustrant.", True),
    ("fr", "empathy", "Mon réfrigérateur est en panne et toute la nourriture est perdue.",
     "Nous nous excusons pour la gêne occasionnée. Un technicien peut être réservé en ligne.", False),
    ("fr", "sets_expectations", "Mon réfrigérateur est en panne.", "Un technicien passera chez vous jeudi entre 8 h et 12 h.", True),
    ("fr", "sets_expectations", "Mon réfrigérateur est en panne.", "Merci pour votre message. Nous allons étudier la situation.", False),
    ("fr", "sets_expectations", "Mon réfrigérateur est en panne.", "Merci pour votre message. Nous vous rappellerons si besoin.", False),
    ("fr", "sets_expectations", "Mon réfrigérateur est en panne.", "Merci pour votre message. Nous allons étudier la situation et revenir vers vous.", True),
    ("fr", "asks_feedback", "L'application plante.", "Installez la nouvelle version. Est-ce que l'application fonctionne maintenant ?", True),
    ("fr", "asks_feedback", "L'application plante.", "Installez la nouvelle version. Avez-vous d'autres questions ?", False),
    ("fr", "stalling_autoreply", "L'application plante.",
     "Nous accusons bonne réception de votre demande (dossier 448812). Un conseiller reviendra vers vous rapidement.", True),
    ("fr", "stalling_autoreply", "L'application plante.",
     "Un conseiller reviendra vers vous. Le plantage vient d'une erreur de la version 3.1, la mise à jour la corrige.", False),
    ("fr", "marketing", "Où est mon colis ?", "Votre colis arrive demain.\n\nCordialement,\nShopX\n\nProfitez de 20 % de réduction avec le code VESTE20 !", True),
    ("fr", "marketing", "Où est mon colis ?", "Votre colis arrive demain. À titre de geste commercial, nous vous avons crédité 10 euros.", False),
    ("fr", "asks_again", "Ma commande 558120 n'est pas arrivée.", "Pourriez-vous nous indiquer votre numéro de commande ?", True),
    ("fr", "asks_again", "Mon colis n'est pas arrivé.", "Pourriez-vous nous indiquer votre numéro de commande ?", False),
    # Spanish
    ("es", "acknowledges", "¿Dónde está mi paquete?", "Gracias por su mensaje. Su paquete está en camino y llegará mañana.", True),
    ("es", "acknowledges", "¿Dónde está mi paquete?", "Su paquete está en camino y llegará a su casa mañana.", False),
    ("es", "personalized", "¿Dónde está mi paquete?", "Hola Anna, su paquete está en camino y llegará mañana.", True),
    ("es", "personalized", "¿Dónde está mi paquete?", "Estimado cliente, su paquete está en camino y llegará mañana.", False),
    ("es", "empathy", "Mi nevera se ha estropeado y he perdido toda la comida.",
     "Lo siento mucho, perder toda la comida por la nevera estropeada es muy frustrante.", True),
    ("es", "empathy", "Mi nevera se ha estropeado y he perdido toda la comida.",
     "Disculpe las molestias. Puede reservar un técnico en nuestra web.", False),
    ("es", "sets_expectations", "Mi nevera se ha estropeado.", "Un técnico irá a su domicilio el jueves entre las 8:00 y las 12:00.", True),
    ("es", "sets_expectations", "Mi nevera se ha estropeado.", "Gracias por su mensaje. Vamos a estudiar su situación.", False),
    ("es", "sets_expectations", "Mi nevera se ha estropeado.", "Gracias por su mensaje. Le llamaremos de nuevo si es necesario.", False),
    ("es", "sets_expectations", "Mi nevera se ha estropeado.", "Gracias por su mensaje. Vamos a estudiar su situación y nos pondremos en contacto con usted.", True),
    ("es", "asks_feedback", "La aplicación se cierra sola.", "Instale la nueva versión. ¿Ya funciona la aplicación?", True),
    ("es", "asks_feedback", "La aplicación se cierra sola.", "Instale la nueva versión. ¿Tiene alguna otra pregunta?", False),
    ("es", "stalling_autoreply", "La aplicación se cierra sola.",
     "Hemos recibido su consulta (incidencia 448812). Nuestro equipo le responderá a la mayor brevedad.", True),
    ("es", "stalling_autoreply", "La aplicación se cierra sola.",
     "Nuestro equipo le responderá. El cierre se debe a un error de la versión 3.1 que la actualización corrige.", False),
    ("es", "marketing", "¿Dónde está mi paquete?", "Su paquete llega mañana.\n\nSaludos,\nShopX\n\n¡Rebajas! 20 % de descuento con el código CHAQUETA20.", True),
    ("es", "marketing", "¿Dónde está mi paquete?", "Su paquete llega mañana. Como disculpa, le hemos abonado 10 euros.", False),
    ("es", "asks_again", "Mi pedido 558120 no ha llegado.", "¿Podría indicarnos su número de pedido?", True),
    ("es", "asks_again", "Mi paquete no ha llegado.", "¿Podría indicarnos su número de pedido?", False),
    # the same ideas in other words
    ("de", "asks_again", "Der Deckel kam gebrochen an, Fotos anbei.", "Bitte schicken Sie uns ein Foto des Schadens.", True),
    ("fr", "asks_again", "Le couvercle est arrivé cassé, photos ci-jointes.", "Pourriez-vous nous envoyer une photo du dommage ?", True),
    ("es", "asks_again", "La tapa llegó rota, adjunto fotos.", "¿Podría enviarnos una foto del daño, por favor?", True),
    ("de", "asks_again", "Mein Konto ist seit gestern gesperrt.", "Bitte nennen Sie uns die E-Mail-Adresse Ihres Kontos.", True),
    ("fr", "asks_feedback", "Ma box ne marche plus.", "Redémarrez la box en la débranchant dix secondes. Si le problème persiste, écrivez-nous.", True),
    ("es", "asks_feedback", "El router no funciona.", "Reinicie el router durante diez segundos. ¿Ha podido conectarse de nuevo?", True),
    ("de", "sets_expectations", "Wann kommt meine Gutschrift?", "Die Gutschrift über 25 Euro erfolgt binnen 48h auf Ihr Konto.", True),
    ("fr", "sets_expectations", "Quand serai-je remboursé ?", "Le remboursement de 25 euros sera visible sur votre compte sous 48h.", True),
]


@pytest.mark.parametrize(("language", "name", "customer", "reply", "expected"), CASES, ids=[f"{c[0]}-{c[1]}-{c[4]}" for c in CASES])
def test_each_criterion_in_each_language(language, name, customer, reply, expected):
    exchange = Exchange(customer, reply, persona=PERSONA)
    assert clean(exchange).language == language, "the reply must be judged in its own language, not by the unknown-language fallback"
    result = score_reply(exchange, [name])[name]
    assert result.passed is expected, result.reason


@pytest.mark.parametrize(("language", "reply", "facts", "expected"), [
    ("de", "Sie können die Schuhe innerhalb von 30 Tagen zurückgeben, die Rücksendung ist kostenlos.", [["30 Tage"], ["kostenlos"]], True),
    ("de", "Sie können die Schuhe innerhalb von 14 Tagen zurückgeben, die Rücksendung ist kostenlos.", [["30 Tage"], ["kostenlos"]], False),
    ("de", "Eine Rückerstattung ist bei reduzierter Ware leider nicht möglich.", [["Rückerstattung"]], False),
    ("fr", "Vous pouvez retourner les chaussures sous trente jours, le retour est gratuit.", [["30 jours"], ["gratuit"]], True),
    ("fr", "Nous ne pouvons malheureusement pas accorder de remboursement pour cet article.", [["remboursement"]], False),
    ("es", "Puede devolver las zapatillas en un plazo de 30 días y la devolución es gratuita.", [["30 días"], ["gratuita"]], True),
    ("es", "Su tarifa no permite el reembolso del billete en ningún caso.", [["reembolso"]], False),
    # a salutation states nothing ("Estimada" is not "estimación"); a short stem inside another is no typo ("correo", "corregida")
    ("es", "Estimada clienta:\n\nGracias por su correo. Necesitamos el número de la factura para revisar su caso.", [["estimación"]], False),
    ("es", "Estimada clienta:\n\nGracias por su correo. Necesitamos el número de la factura para revisar su caso.", [["corregida"]], False),
    ("es", "Estimada clienta:\n\nLa factura ya está corregida y le llegará por correo esta semana.", [["corregida"]], True),
])
def test_answers_question_reads_facts_in_the_language_of_the_reply(language, reply, facts, expected):
    exchange = Exchange("Frage", reply, expected_facts=facts)
    assert clean(exchange).language == language
    assert score_reply(exchange, ["answers_question"])["answers_question"].passed is expected


def test_facts_per_language_pick_the_reply_language_and_leave_others_unscored():
    facts = {"en": [["30 days"]], "de": [["30 Tage"]]}
    german = Exchange("Wie lange kann ich zurückgeben?", "Sie haben 30 Tage Zeit, die Ware zurückzugeben.", facts_by_language=facts)
    english = Exchange("How long can I return?", "You have 30 days to send the goods back to us.", facts_by_language=facts)
    french = Exchange("Combien de temps ?", "Vous avez 30 jours pour nous renvoyer la marchandise.", facts_by_language=facts)
    assert score_reply(german, ["answers_question"])["answers_question"].passed is True
    assert score_reply(english, ["answers_question"])["answers_question"].passed is True
    result = score_reply(french, ["answers_question"])["answers_question"]
    assert result.passed is None and result.reason.startswith("unscored (language fr)")


@pytest.mark.parametrize(("code", "reply"), [
    ("it", "Grazie per il suo messaggio. Il pacco è in viaggio e arriverà domani, ci scusiamo per il ritardo."),
    ("nl", "Bedankt voor uw bericht. Het pakket is onderweg en wordt morgen bij u bezorgd, excuses voor de vertraging."),
    ("pt", "Obrigado pela sua mensagem. A encomenda está a caminho e chega amanhã, pedimos desculpa pelo atraso."),
])
def test_a_language_without_a_lexicon_is_unscored_never_guessed(code, reply):
    exchange = Exchange("Where is my parcel?", reply, persona=PERSONA, expected_facts=[["tomorrow"]])
    assert clean(exchange).language == code
    for name, result in score_reply(exchange).items():
        assert result.passed is None, name
        assert result.reason.startswith(f"unscored (language {code})"), (name, result.reason)


def test_language_unknown_gives_the_verdict_only_when_every_language_agrees():
    reply = clean_reply("Gracias por su mensaje.")
    reply._language[:] = [None]  # as lingua says of a text too short to tell
    exchange = Exchange("?", "Gracias por su mensaje.")
    acknowledged = REGISTRY["acknowledges"](exchange, reply)  # Spanish: yes; English, German, French: no
    assert acknowledged.passed is None and acknowledged.reason.startswith("unscored (language unknown)")
    marketing = REGISTRY["marketing"](exchange, reply)  # no promotion in any language
    assert marketing.passed is False and "language not detected" in marketing.reason


def test_every_criterion_supports_the_four_languages():
    assert set(lexicon_languages()) >= {"en", "de", "fr", "es"}
    for name in CRITERIA:
        assert set(supported_languages(name)) >= {"en", "de", "fr", "es"}, name


def test_a_lexicon_without_an_entry_does_not_support_the_criteria_that_need_it():
    partial = Lexicon("xx", {"patterns": {"acknowledges": ["thanks"]}}, "xx.yaml")
    assert partial.has("acknowledges") and not partial.has("deferral")


def test_a_broken_pattern_names_its_file_and_entry():
    broken = Lexicon("xx", {"patterns": {"acknowledges": ["thanks (for"]}}, "languages/xx.yaml")
    with pytest.raises(LexiconError, match=r"languages/xx\.yaml: patterns\.acknowledges: not a valid pattern"):
        broken.pattern("acknowledges")
    with pytest.raises(LexiconError, match=r"upper-case escape"):
        Lexicon("xx", {"patterns": {"when": [r"\D+"]}}, "xx.yaml").pattern("when")


def test_the_short_cut_never_disagrees_with_lingua():
    checked: dict[str, int] = {}
    for path in [HERE / "labelled.yaml", HERE / "heldout.yaml", *sorted(HERE.glob("exchanges_*.yaml"))]:
        for item in load_labelled(path):
            reply = clean(item.exchange)
            code = plainly_in(reply.folded_text)
            if code is not None:
                checked[code] = checked.get(code, 0) + 1
                assert detect(reply.body) in (code, None), item.id
            elif item.language == "en":
                assert len(reply.body) < 400, item.id  # English replies mostly take the short cut
    assert checked.get("en", 0) >= 60
    assert all(checked.get(code, 0) >= 20 for code in ("de", "fr", "es")), checked


def test_the_short_cut_leaves_other_languages_to_lingua():
    for code in ("de", "fr", "es"):
        for sentence in [c[3] for c in CASES if c[0] == code]:
            assert not plainly_english(clean_reply(sentence).folded_text), sentence
            assert plainly_in(clean_reply(sentence).folded_text) in (code, None), sentence
    assert plainly_in(fold_text("Wij hebben uw bericht ontvangen en de bestelling is met de post verzonden.")) is None  # Dutch: no lexicon
    assert plainly_in(fold_text("Bonjour, the refund for your order is on its way to you.")) is None  # too mixed to tell


def fold_text(text: str) -> str:
    return clean_reply(text).folded_text


def test_language_is_detected_once_per_reply_and_only_when_needed(monkeypatch):
    calls = []
    from mysteryshop.quality import reply_language

    monkeypatch.setattr(reply_language, "detect", lambda text: calls.append(text) or "de")
    exchange = Exchange("Frage", "Paket kommt morgen, Lieferung per DHL.")  # too few function words for the short cut
    reply = clean_reply(exchange.reply_text)
    assert calls == []  # cleaning alone detects nothing
    for name in CRITERIA:
        REGISTRY[name](exchange, reply)
    assert len(calls) == 1
    assert REGISTRY["answers_question"](Exchange("?", "Ciao, grazie mille"), clean_reply("Ciao, grazie mille")).reason.startswith("no expected facts")
    assert len(calls) == 1  # no facts: nothing to read in any language


def test_a_plainly_german_reply_is_german_without_the_detector(monkeypatch):
    from mysteryshop.quality import reply_language

    monkeypatch.setattr(reply_language, "detect", lambda text: pytest.fail(f"detector called on {text!r}"))
    reply = clean_reply("Vielen Dank für Ihre Nachricht, das Paket ist unterwegs und kommt morgen bei Ihnen an.")
    assert reply.language == "de"


def test_every_lexicon_file_loads_and_compiles():
    for code in lexicon_languages():
        lex = lexicon(code)
        for name in lex._patterns:
            lex.pattern(name)


def test_the_semantic_engine_leaves_other_languages_to_the_rules():
    from mysteryshop.quality.engines.semantic import semantic_available

    if not semantic_available():
        pytest.skip("the semantic extra is not installed")
    german = Exchange("Wie lange?", "Sie haben 30 Tage Zeit für die Rückgabe, die Rücksendung ist kostenlos.", expected_facts=[["30 Tage"], ["kostenlos"]])
    english = Exchange("How long?", "You have 30 days to return it and return shipping is free.", expected_facts=[["30 days"], ["free return shipping"]])
    results = score_many([german, english], ["answers_question"], engine="semantic")
    assert results[0]["answers_question"].engine == "rules" and results[0]["answers_question"].passed is True
    assert results[1]["answers_question"].engine == "semantic" and results[1]["answers_question"].passed is True
