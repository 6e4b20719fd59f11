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
    """The knowledge-base topic whose keywords appear first in `text` ('general' when none do)."""
    lowered = text.lower()
    best, best_pos = "general", len(lowered) + 1
    for name, topic in company()["topics"].items():
        for keyword in topic["keywords"]:
            pos = lowered.find(keyword)
            if 0 <= pos < best_pos:
                best, best_pos = name, pos
    return best


def letter(kind: str, quality: str, customer: Customer, *, ticket: str, personal: bool) -> str:
    """The body of one message the company sends to `customer`."""
    data = company()
    first_name = customer.name.split()[0] if customer.name else ""
    greeting = f"Hi {first_name}," if personal and first_name else "Dear customer,"
    key = {
        ("acknowledgement", "stalling"): "acknowledgement_stalling",
        ("answer", "stalling"): "answer_stalling",
    }.get((kind, quality), kind)
    topic = data["topics"][topic_of(customer.text)]
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
