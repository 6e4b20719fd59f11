"""What the demo company writes: its knowledge base and letters (data in company.yaml)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from ruamel.yaml import YAML


@dataclass(frozen=True, slots=True)
class Customer:
    """What the desk knows about whoever wrote in."""

    address: str
    name: str
    order_id: str | None
    text: str


@cache
def company() -> dict[str, Any]:
    text = resources.files("mysteryshop.demo").joinpath("company.yaml").read_text(encoding="utf-8")
    return YAML(typ="safe").load(text)


def topic_of(text: str) -> str:
    """The knowledge-base topic whose keywords (in any language) appear first in `text` ('general' when none do)."""
    lowered = text.lower()
    best, best_pos = "general", len(lowered) + 1
    data = company()
    sources = [data["topics"], *(lang.get("topics", {}) for lang in data.get("languages", {}).values())]
    for topics in sources:
        for name, topic in topics.items():
            for keyword in topic["keywords"]:
                pos = lowered.find(keyword)
                if 0 <= pos < best_pos:
                    best, best_pos = name, pos
    return best


def letter(kind: str, quality: str, customer: Customer, *, ticket: str, personal: bool, language: str = "en") -> str:
    """The body of one message the company sends to `customer`, in `language` when the company writes that letter
    (and that topic) in it, else in English."""
    data = company()
    first_name = customer.name.split()[0] if customer.name else ""
    key = {
        ("acknowledgement", "stalling"): "acknowledgement_stalling",
        ("answer", "stalling"): "answer_stalling",
    }.get((kind, quality), kind)
    name = topic_of(customer.text)
    local = data.get("languages", {}).get(language)
    if local and key in local["letters"] and (key != "answer" or name in local["topics"]):
        greeting = local["greeting"]["personal" if personal and first_name else "plain"].format(first_name=first_name)
        personal_line = local["personal"].format(order_id=customer.order_id) if personal and customer.order_id else ""
        body = local["topics"][name]["wrong" if quality == "wrong" else "good"] if key == "answer" else ""
        return local["letters"][key].format(greeting=greeting, company=data["company"], ticket=ticket, signature=local["signature"],
                                            body=body, personal=personal_line)
    greeting = f"Hi {first_name}," if personal and first_name else "Dear customer,"
    topic = data["topics"].get(name, data["topics"]["general"])
    body = topic["wrong" if quality == "wrong" else "good"]
    personal_line = f"Thanks for getting in touch about order {customer.order_id}.\n" if personal and customer.order_id else ""
    return data["letters"][key].format(
        greeting=greeting,
        company=data["company"],
        ticket=ticket,
        signature=data["signature"],
        body=body,
        personal=personal_line,
    )
