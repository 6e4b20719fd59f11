"""Pure logic of finding the way in and reading a form: link names scored as a customer reads them (English and the
persona's language), and what each form field asks for."""

from __future__ import annotations

import pytest

from mysteryshop.channels.contact_words import STRONG, language_of, link_score, name_score, topic_words
from mysteryshop.channels.wayin import same_site
from mysteryshop.scoring.friction import field_kind, read_form
from mysteryshop.scoring.weblog import FormFriction


@pytest.mark.parametrize(("name", "language"), [
    ("Contact us", "en"), ("Kontaktieren Sie uns", "de"), ("Kontaktformular", "de"), ("Contactez-nous", "fr"), ("Nous contacter", "fr"),
    ("Contáctanos", "es"), ("Formulario de contacto", "es"),
])
def test_a_name_that_promises_contact_is_strong_in_the_personas_language(name: str, language: str) -> None:
    assert name_score(name, language) >= STRONG


@pytest.mark.parametrize(("name", "language"), [("Hilfe", "de"), ("Centre d'aide", "fr"), ("Centro de ayuda", "es"), ("Kundenservice", "de"),
                                                ("Atención al cliente", "es"), ("Service client", "fr"), ("Help centre", "en")])
def test_help_and_customer_service_lead_somewhere_but_less_than_contact(name: str, language: str) -> None:
    assert 0 < name_score(name, language) < STRONG


def test_a_language_we_lack_words_for_still_reads_english_and_other_languages_words_do_not_count() -> None:
    assert name_score("Contact", "ja") >= STRONG
    assert name_score("Hilfe", "en") == 0 and name_score("Hilfe", "de") > 0


@pytest.mark.parametrize("name", ["Terms of service", "Privacy help", "Careers", "Sign in", "Shop jackets", "", "Datenschutz & Kontakt"])
def test_names_that_never_lead_to_support_score_nothing(name: str) -> None:
    assert name_score(name, "de") == 0


def test_the_footer_and_the_customers_topic_raise_a_links_score() -> None:
    topic = topic_words(["Returns and refunds"])
    assert link_score("Returns and refunds", "main", "en", topic) > 0 == link_score("Delivery and tracking", "main", "en", topic)
    assert link_score("Help", "footer") > link_score("Help", "main")
    assert name_score("Still not sure? Read our long article on how to contact the right department for your question") < STRONG


def test_locales_give_their_language() -> None:
    assert [language_of(x) for x in ("de_DE", "fr-FR", "es", "")] == ["de", "fr", "es", "en"]


def test_only_the_companys_own_site_is_searched() -> None:
    assert same_site("https://help.example.com/a", "https://www.example.com/")
    assert not same_site("https://example.org/", "https://www.example.com/")
    assert same_site("https://help.example.co.uk/", "https://example.co.uk/") and not same_site("https://other.co.uk/", "https://www.example.co.uk/")
    assert not same_site("http://127.0.0.1:9000/", "http://127.0.0.1:8000/") and same_site("http://127.0.0.1:8000/x", "http://127.0.0.1:8000/")
    assert not same_site("mailto:help@example.com", "https://www.example.com/")


@pytest.mark.parametrize(("control", "kind"), [
    ({"label": "Your name", "type": "text"}, "name"), ({"label": "Email address", "type": "email"}, "email"),
    ({"label": "Telefonnummer", "type": "text"}, "phone"), ({"label": "", "name": "x", "type": "tel"}, "phone"),
    ({"label": "Date de naissance", "type": "date"}, "birth_date"), ({"label": "Birthday", "autocomplete": "bday"}, "birth_date"),
    ({"label": "Straße und Hausnummer"}, "address"), ({"label": "Código postal"}, "address"), ({"label": "Anrede", "type": "select"}, "gender"),
    ({"label": "Bestellnummer"}, "order_id"), ({"label": "Número de pedido"}, "order_id"), ({"label": "Ihre Nachricht", "type": "textarea"}, "message"),
    ({"label": "Asunto", "type": "select"}, "topic"), ({"label": "", "type": "file"}, "attachment"), ({"label": "Favourite colour"}, "other"),
])
def test_a_form_field_is_read_for_the_data_it_asks_for(control: dict[str, str], kind: str) -> None:
    assert field_kind(control) == kind


def test_a_form_that_asks_for_a_phone_and_birth_date_asked_for_data_it_had_no_need_of() -> None:
    controls = [{"label": "Name", "type": "text", "required": True, "filled": True}, {"label": "E-Mail", "type": "email", "required": True, "filled": True},
                {"label": "Telefon", "type": "tel", "required": True, "filled": True}, {"label": "Geburtsdatum", "type": "date", "required": False, "filled": False},
                {"label": "Nachricht", "type": "textarea", "required": True, "filled": True}]
    form = read_form(FormFriction("submit", 0, "http://x/", controls, ["Telefon: Please fill out this field."], 2.5, "rejected"))
    assert (form["fields"], form["required"], form["validation_errors"]) == (5, 4, 1)
    assert form["unneeded"] == ["birth_date", "phone"] and form["unneeded_required"] == ["phone"]
    assert form["persona_fields"] == ["email", "full_name", "phone"]
    simple = read_form(FormFriction("submit", 0, "http://x/", controls[:2] + controls[4:], [], 1.0, "confirmed"))
    assert simple["unneeded"] == []
