"""Benchmark: conversations completed when the demo desk asks back (issue 20, "answering the agent").

N probes (default 50) of a return-request journey run at once against the demo desk's `asks_back` profile (its own
process, real SMTP on loopback, 14,400x company time). The desk asks each customer for its order number (or, when
the email already has it, a photo of the item) and answers only once the customer replied with it. Personas write
in English, German, French and Spanish; some give their order number in the first email, some do not.

A conversation is complete when all of these hold:
- the desk asked (its ground truth logs an `ask_*` message to the persona);
- the persona's answer is in the probe's transcript: an email it sent In-Reply-To the desk's question, carrying
  what was asked (its order number in the text; a PNG attachment for a photo);
- the desk then answered, and the probe's `answered` expectation (the answer, stating the policy, in 3 days) passed.

Printed: the share complete (target >= 95%), why the others were not, the persona's answer delays, wall time.

    .venv/bin/python bench/ask_back.py               # 50 probes
    .venv/bin/python bench/ask_back.py --probes 100 --seed 3
    .venv/bin/python bench/ask_back.py --answers off     # personas that never answer: every conversation stalls

The last line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import email
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mysteryshop.demo.process import DemoDeskProcess
from mysteryshop.demo.profile import get_profile
from mysteryshop.journey import load_journey
from mysteryshop.persona import make_persona
from mysteryshop.plan import ProbeSpec
from mysteryshop.runner import Engine, EngineThread
from mysteryshop.store import Store
from mysteryshop.target import EmailChannel, Target, TargetSpec

DOMAIN = "probe.mysteryshop.test"
SPEEDUP = 14400
LOCALES = ("en_US", "de_DE", "fr_FR", "es_ES", "en_GB")
TARGET_SHARE = 0.95
JOURNEY = """
id: bench_ask_back
title: Return a jacket; the desk asks back first
language: en
answers: {engine: %(engine)s}
steps:
  - id: ask
    do: send_email
    subject:
      en: ["Returning a jacket", "Return question", "Can I send my jacket back?"]
      de: ["Rückgabe einer Jacke", "Frage zur Rücksendung"]
      fr: ["Retour d'une veste", "Question sur un retour"]
      es: ["Devolución de una chaqueta", "Pregunta sobre una devolución"]
    body:
      en:
        - "{greeting}\\n\\nI bought a rain jacket last week and it does not fit. Can I still return it?\\n\\n{signoff}"
        - "{greeting}\\n\\nThe jacket from order {persona.order_id} is too small. Can I return it?\\n\\n{thanks}\\n{signoff}"
        - "Hello, can I return a jacket that does not fit? {signoff}"
      de:
        - "{greeting}\\n\\nIch habe letzte Woche eine Regenjacke gekauft, sie passt nicht. Kann ich sie noch zurückgeben?\\n\\n{signoff}"
        - "{greeting}\\n\\nDie Jacke aus Bestellung {persona.order_id} ist zu klein. Kann ich sie zurückgeben?\\n\\n{signoff}"
      fr:
        - "{greeting}\\n\\nJ'ai acheté une veste la semaine dernière, elle ne me va pas. Puis-je la retourner ?\\n\\n{signoff}"
        - "{greeting}\\n\\nLa veste de la commande {persona.order_id} est trop petite. Puis-je la retourner ?\\n\\n{signoff}"
      es:
        - "{greeting}\\n\\nCompré una chaqueta la semana pasada y no me queda bien. ¿Puedo devolverla?\\n\\n{signoff}"
        - "{greeting}\\n\\nLa chaqueta del pedido {persona.order_id} me queda pequeña. ¿Puedo devolverla?\\n\\n{signoff}"
  - id: acknowledged
    expect: acknowledgement
    within: 12h
  - id: answered
    expect: answer
    within: 3d
    facts:
      en: [["30 days"]]
      de: [["30 Tagen"]]
      fr: [["30 jours"]]
      es: [["30 días"]]
"""


def target_for(port: int) -> Target:
    spec = TargetSpec(name="demo-asks-back", speedup=SPEEDUP, probe_domain=DOMAIN, ticket_pattern=r"\[#(NW-\d+)\]",
                      email=EmailChannel(support_address="support@northwind.demo", smtp_host="127.0.0.1", smtp_port=port, timeout=10))
    return Target(spec=spec, path=Path("journeys/targets/demo-asks-back.yaml"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--probes", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--answers", choices=("rules", "llm", "off"), default="rules",
                        help="how personas answer (off: the conversations stall, as before this feature; llm: MYSTERYSHOP_LLM_URL)")
    args = parser.parse_args()
    probes = max(1, min(args.probes, 1000))

    with tempfile.TemporaryDirectory(prefix="ask-back-") as tmp:
        work = Path(tmp)
        (work / "bench_ask_back.yaml").write_text(JOURNEY.replace("%(engine)s", args.answers), encoding="utf-8")
        journey = load_journey(work / "bench_ask_back.yaml")
        store = Store(work / "store.sqlite")
        store.create_run("bench", {})
        engine = EngineThread(Engine(store, "bench", domains={DOMAIN})).start()
        desk = DemoDeskProcess(get_profile("asks_back"), deliver_to=engine.engine.mailbox_address, seed=args.seed, speedup=SPEEDUP,
                               workdir=work).start()
        target = target_for(desk.port)
        specs = [ProbeSpec(f"p{i}", journey, target, make_persona(args.seed, i, locale=LOCALES[i % len(LOCALES)], domain=DOMAIN))
                 for i in range(probes)]
        started = time.monotonic()
        try:
            futures = [engine.submit(spec) for spec in specs]
            results = [future.result(timeout=300) for future in futures]
            wall = time.monotonic() - started
            engine.call(engine.engine.mailbox.drain())
        finally:
            engine.stop()
            desk.stop()
        truth = desk.truth

        reasons: Counter[str] = Counter()
        delays: list[float] = []
        asked_for: Counter[str] = Counter()
        complete = 0
        for spec, result in zip(specs, results, strict=True):
            address = spec.persona.email
            sent = sorted(truth.for_address(address), key=lambda r: r.scheduled_ns)
            ask = next((r for r in sent if r.kind.startswith("ask_")), None)
            if ask is None:
                reasons["the desk did not ask"] += 1
                continue
            detail = ask.kind.removeprefix("ask_")
            asked_for[detail] += 1
            rows = store.query("SELECT raw FROM messages WHERE run_id = 'bench' AND probe_id = ? AND direction = 'out' ORDER BY t_ns",
                               (spec.probe_id,))
            mails = [email.message_from_bytes(row["raw"]) for row in rows]
            answer = next((m for m in mails if m["In-Reply-To"] == ask.message_id), None)
            if answer is None:
                reasons["no answer from the persona in the thread"] += 1
                continue
            if detail == "order_id":
                text = "".join(p.get_payload(decode=True).decode("utf-8", "replace") for p in answer.walk() if p.get_content_type() == "text/plain")
                carries = spec.persona.order_id in text
            else:
                carries = any(p.get_content_maintype() == "image" for p in answer.walk())
            if not carries:
                reasons[f"the persona's answer lacks the {detail}"] += 1
                continue
            if not any(r.kind == "answer" and r.scheduled_ns > ask.scheduled_ns for r in sent):
                reasons["the desk never answered after it"] += 1
                continue
            answered = next((o for o in result.outcomes if o.step == "answered"), None)
            if answered is None or answered.status != "passed":
                reasons[f"'answered' {answered.status if answered else 'not judged'}: {answered.reason if answered else ''}"[:120]] += 1
                continue
            question = next((q for q in result.timeline.asked if q.get("answered")), None)
            if question is not None:
                delays.append(question["delay_ns"] / 60e9)
            complete += 1

    share = complete / probes
    print(f"{probes} probes against the demo desk's asks_back profile ({SPEEDUP}x company time), personas in {', '.join(LOCALES)}")
    print(f"  the desk asked for: {dict(asked_for)}")
    print(f"  conversations complete (persona's answer in the thread, then the desk's answer, 'answered' passed): "
          f"{complete}/{probes} = {share:.1%} (target >= {TARGET_SHARE:.0%})")
    for reason, count in reasons.most_common():
        print(f"  not complete: {count} x {reason}")
    if delays:
        print(f"  the persona's answer delay, company minutes: median {statistics.median(delays):.0f}, "
              f"min {min(delays):.0f}, max {max(delays):.0f}")
    print(f"  wall time {wall:.1f} s")
    print(json.dumps({"probes": probes, "answers": args.answers, "complete": complete, "share": round(share, 4), "target": TARGET_SHARE,
                      "meets_target": share >= TARGET_SHARE, "asked_for": dict(asked_for), "not_complete": dict(reasons),
                      "answer_delay_median_min": round(statistics.median(delays), 1) if delays else None, "wall_s": round(wall, 2)}))


if __name__ == "__main__":
    main()
