"""The labelled mail data itself: raw messages in kinds/ and the multilingual exchanges.

These tests check the data, not the rules that are judged against it: every message parses with the
standard library, the labels describe exactly the files present, both splits cover every kind and
language, and nothing in it looks like a real person's data (only reserved example domains and
documentation IP ranges).
"""

from __future__ import annotations

import email
import hashlib
import ipaddress
import re
from collections import Counter
from email import policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
import yaml

from mysteryshop.quality import CRITERIA
from mysteryshop.quality.labelled import load_labelled

HERE = Path(__file__).parent
KINDS_DIR = HERE / "kinds"
LABELS = KINDS_DIR / "labels.yaml"
EXCHANGES = HERE / "exchanges_multilingual.yaml"

KINDS = {"bounce", "out_of_office", "acknowledgement", "answer", "survey", "marketing", "other"}
LANGUAGES = {"en", "de", "fr", "es", None}
SPLITS = {"train", "heldout"}
MIN_PER_KIND = {"bounce": 25, "out_of_office": 20, "acknowledgement": 25, "answer": 25,
                "survey": 10, "marketing": 10, "other": 15}

ALLOWED_SUFFIXES = ("example.com", "example.net", "example.org", ".test", ".invalid", ".example", ".localhost")
# Top-level domains that exist on the public internet: a name under one of them must be a reserved example name.
PUBLIC_TLDS = {"com", "net", "org", "de", "fr", "es", "uk", "eu", "io", "co", "info", "biz", "me", "app", "dev",
               "ai", "us", "ch", "at", "it", "nl", "be", "pt", "mx", "ar", "edu", "gov", "ru", "cn", "jp", "br",
               "ca", "au", "in", "pl", "se", "dk", "no", "fi", "ie", "cat", "email", "online", "shop", "store"}
DOC_NETWORKS = [ipaddress.ip_network(n) for n in (
    "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24",      # RFC 5737 documentation ranges
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8",
    "2001:db8::/32", "::1/128", "fc00::/7")]
FICTIONAL_PHONES = re.compile(r"\+?1[ -]?\(?555\)?[ -]?01\d\d|\+?44 ?\(?0?\)?20 ?7946 ?0\d{3}|\+?44 ?1632 ?960\d{3}"
                              r"|\+?33 ?0?1 ?99 ?00 ?\d\d ?\d\d")

DOMAIN = re.compile(r"(?<![\w.-])((?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+([a-z]{2,}))(?![\w@-])", re.IGNORECASE)
ADDRESS = re.compile(r"[\w.+=-]+@((?:[a-z0-9-]+\.)+[a-z]{2,})", re.IGNORECASE)
URL = re.compile(r"(?:https?|ftp)://([^/\s\"'<>)]+)", re.IGNORECASE)
IPV4 = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3})(?![\d.])")
IPV6 = re.compile(r"(?<![\w:])([0-9a-f]{1,4}(?::[0-9a-f]{0,4}){2,7})(?![\w:])", re.IGNORECASE)
IBAN = re.compile(r"\b([A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?)\b")
CARD = re.compile(r"\b(\d{4}(?:[ -]\d{4}){3}|\d{4}[ -]\d{6}[ -]\d{5})\b")
PHONE = re.compile(r"(?<![\w.])\+\d{1,3}[ (]*\d[\d ()/-]{6,}\d")


def load_labels() -> dict:
    return yaml.safe_load(LABELS.read_text(encoding="utf-8"))


def parse(path: Path) -> EmailMessage:
    with path.open("rb") as fh:
        return email.message_from_binary_file(fh, policy=policy.default)


def text_of(msg: EmailMessage) -> str:
    """Headers and every decoded text part, the way a reader (or a rule) would see them."""
    chunks = [f"{k}: {v}" for k, v in msg.items()]
    for part in msg.walk():
        if part.get_content_type() in ("message/delivery-status", "message/disposition-notification"):
            chunks.append(part.as_string())
        elif part.get_content_maintype() == "text" and not part.is_multipart():
            payload = part.get_payload(decode=True) or b""
            chunks.append(payload.decode(part.get_content_charset() or "utf-8", errors="replace"))
    return "\n".join(chunks)


def real_data_problems(text: str) -> list[str]:
    """Everything in `text` that could be a real domain, address, IP, bank account, card or phone."""
    found = []
    names = [m.group(1) for m in ADDRESS.finditer(text)] + [m.group(1).split(":")[0].split("@")[-1]
                                                            for m in URL.finditer(text)]
    names += [m.group(1) for m in DOMAIN.finditer(text) if m.group(2).lower() in PUBLIC_TLDS]
    for name in dict.fromkeys(n.lower().rstrip(".") for n in names):
        host = name
        if host.rsplit(".", 1)[-1] in PUBLIC_TLDS and not host.endswith(ALLOWED_SUFFIXES):
            found.append(f"domain {host}")
    for m in IPV4.finditer(text):
        try:
            ip = ipaddress.ip_address(m.group(1))
        except ValueError:
            continue  # a version number such as 15.20.8769.25
        if not any(ip in net for net in DOC_NETWORKS):
            found.append(f"IP {ip}")
    for m in IPV6.finditer(text):
        try:
            ip = ipaddress.ip_address(m.group(1))
        except ValueError:
            continue  # a time such as 09:14:06
        if ip.version == 6 and not any(ip in net for net in DOC_NETWORKS):
            found.append(f"IP {ip}")
    for m in IBAN.finditer(text):
        raw = m.group(1).replace(" ", "")
        digits = "".join(str(int(c, 36)) for c in raw[4:] + raw[:4])
        if 15 <= len(raw) <= 34 and int(digits) % 97 == 1:
            found.append(f"IBAN {m.group(1)}")
    for m in CARD.finditer(text):
        digits = [int(d) for d in re.sub(r"\D", "", m.group(1))]
        total = sum(d if i % 2 == 0 else (d * 2 - 9 if d > 4 else d * 2) for i, d in enumerate(reversed(digits)))
        if total % 10 == 0:
            found.append(f"card number {m.group(1)}")
    for m in PHONE.finditer(text):
        if not FICTIONAL_PHONES.search(m.group(0)):
            found.append(f"phone {m.group(0)}")
    return found


def real_split(name: str) -> str:
    """The fixed split rule of the second batch: heldout when the SHA-256 of the file name is even."""
    return "heldout" if int(hashlib.sha256(name.encode("utf-8")).hexdigest(), 16) % 2 == 0 else "train"


# ---------- raw messages ----------

@pytest.fixture(scope="module")
def labels() -> dict:
    return load_labels()


@pytest.fixture(scope="module")
def messages(labels) -> dict[str, EmailMessage]:
    return {name: parse(KINDS_DIR / name) for name in labels}


def test_labels_list_exactly_the_files_present(labels):
    present = {p.name for p in KINDS_DIR.glob("*.eml")}
    assert set(labels) == present, {"unlabelled": sorted(present - set(labels)),
                                    "missing": sorted(set(labels) - present)}
    others = {p.name for p in KINDS_DIR.iterdir()} - present - {"labels.yaml", "README.md"}
    assert not others, f"unexpected files in {KINDS_DIR}: {sorted(others)}"


def test_file_names_are_ascii_safe(labels):
    bad = [n for n in labels if not re.fullmatch(r"[a-z0-9][a-z0-9-]*\.eml", n)]
    assert not bad, bad


def test_every_label_is_valid(labels):
    for name, entry in labels.items():
        assert set(entry) <= {"kind", "language", "split", "notes"}, (name, entry)
        assert entry["kind"] in KINDS, (name, entry["kind"])
        assert entry["language"] in LANGUAGES, (name, entry["language"])
        assert entry["split"] in SPLITS, (name, entry["split"])
        if entry["language"] is None:
            assert entry["kind"] == "bounce", f"{name}: only a bounce may have no language"


def test_counts_meet_the_minimums(labels):
    kinds = Counter(e["kind"] for e in labels.values())
    assert len(labels) >= 180, len(labels)
    low = {k: kinds[k] for k, n in MIN_PER_KIND.items() if kinds[k] < n}
    assert not low, low
    heldout = sum(e["split"] == "heldout" for e in labels.values()) / len(labels)
    assert 0.25 <= heldout <= 0.4, f"heldout share {heldout:.0%}, aim for about a third"


def test_every_kind_and_language_is_in_both_splits(labels):
    for field, values in (("kind", KINDS), ("language", LANGUAGES)):
        for value in values:
            splits = {e["split"] for e in labels.values() if e[field] == value}
            assert splits == SPLITS, f"{field}={value!r} appears only in {sorted(splits)}"


def test_out_of_office_and_acknowledgements_come_in_four_languages(labels):
    for kind in ("out_of_office", "acknowledgement", "answer", "survey", "marketing"):
        langs = {e["language"] for e in labels.values() if e["kind"] == kind}
        assert langs >= {"en", "de", "fr", "es"}, (kind, langs)


def test_every_message_parses_with_the_standard_library(messages):
    for name, msg in messages.items():
        assert not msg.defects, (name, msg.defects)
        for part in msg.walk():
            assert not part.defects, (name, part.get_content_type(), part.defects)
            if part.get_content_maintype() == "text":
                assert isinstance(part.get_content(), str), name


def test_every_message_has_the_headers_a_real_one_has(labels, messages):
    for name, msg in messages.items():
        for header in ("From", "To", "Subject", "Date"):
            assert msg[header] is not None, f"{name}: no {header}"
        # parsable; qmail's "-0000" (zone unknown) is valid too
        assert parsedate_to_datetime(str(msg["Date"])).year >= 2025, name
        if msg["Message-ID"] is None:
            assert "no Message-ID" in labels[name].get("notes", ""), f"{name}: no Message-ID and no note saying why"
        for header in ("In-Reply-To", "References", "Message-ID"):
            if msg[header] is not None:
                assert re.fullmatch(r"(\s*<[^<>\s]+@[^<>\s]+>)+\s*", str(msg[header])), (name, header)


def test_delivery_reports_say_failed_for_bounces_and_not_for_others(labels, messages):
    """A multipart/report's Action field agrees with the label: failed means bounce, delayed/relayed do not."""
    seen = Counter()
    for name, msg in messages.items():
        for part in msg.walk():
            if part.get_content_type() != "message/delivery-status":
                continue
            actions = set(re.findall(r"^Action:\s*(\w+)", text_of(part), re.MULTILINE | re.IGNORECASE))
            kind = labels[name]["kind"]
            if "failed" in {a.lower() for a in actions}:
                assert kind == "bounce", name
            else:
                assert kind != "bounce", (name, actions)
            seen[kind] += 1
    assert seen["bounce"] >= 20 and seen["other"] >= 5, seen


def test_bounces_come_without_auto_headers_too(labels, messages):
    bounces = [n for n, e in labels.items() if e["kind"] == "bounce"]
    no_auto = [n for n in bounces if messages[n]["Auto-Submitted"] is None]
    plain = [n for n in bounces if messages[n].get_content_type() == "text/plain"]
    non_english = [n for n in bounces if labels[n]["language"] not in ("en", None)]
    assert len(no_auto) >= 8 and len(plain) >= 6 and len(non_english) >= 6, (len(no_auto), len(plain), len(non_english))


def test_out_of_office_headers_vary(labels, messages):
    ooo = [messages[n] for n, e in labels.items() if e["kind"] == "out_of_office"]
    assert sum(m["Auto-Submitted"] is not None for m in ooo) >= 5
    assert sum(m["X-Autoreply"] is not None for m in ooo) >= 2
    assert sum(m["X-Autorespond"] is not None for m in ooo) >= 2
    assert sum(all(m[h] is None for h in ("Auto-Submitted", "X-Autoreply", "X-Autorespond")) for m in ooo) >= 3


def test_no_real_personal_data_in_messages(messages):
    problems = {name: real_data_problems(text_of(msg)) for name, msg in messages.items()}
    problems = {k: v for k, v in problems.items() if v}
    assert not problems, problems


def test_the_real_data_check_can_fail():
    assert real_data_problems("write to jane.doe@gmail.com") == ["domain gmail.com"]
    assert real_data_problems("see https://www.google.de/x") == ["domain www.google.de"]
    assert real_data_problems("from mail.web.de [212.227.15.4]") == ["domain mail.web.de", "IP 212.227.15.4"]
    assert real_data_problems("IBAN DE89 3704 0044 0532 0130 00") == ["IBAN DE89 3704 0044 0532 0130 00"]
    assert real_data_problems("card 4111 1111 1111 1111") == ["card number 4111 1111 1111 1111"]
    assert real_data_problems("call +49 30 1234567") == ["phone +49 30 1234567"]
    assert real_data_problems("mail a@b.example.com at 192.0.2.5, call +44 20 7946 0123, id 15.20.8769.25") == []


# ---------- multilingual exchanges ----------

@pytest.fixture(scope="module")
def raw_exchanges() -> list[dict]:
    return yaml.safe_load(EXCHANGES.read_text(encoding="utf-8"))


def test_exchanges_load_with_the_project_loader(raw_exchanges):
    items = load_labelled(EXCHANGES)
    assert len(items) == len(raw_exchanges) >= 48
    for item in items:
        assert set(item.labels) == set(CRITERIA), item.id


def test_exchanges_have_language_and_split(raw_exchanges):
    per_lang = Counter(e["language"] for e in raw_exchanges)
    assert set(per_lang) == {"de", "fr", "es"} and min(per_lang.values()) >= 16, per_lang
    for lang in per_lang:
        splits = Counter(e["split"] for e in raw_exchanges if e["language"] == lang)
        assert set(splits) == SPLITS, (lang, splits)
        assert 0.25 <= splits["heldout"] / sum(splits.values()) <= 0.6, (lang, splits)


def test_each_criterion_has_both_outcomes_in_each_language(raw_exchanges):
    for lang in ("de", "fr", "es"):
        for name in CRITERIA:
            seen = Counter(e["labels"][name] for e in raw_exchanges if e["language"] == lang)
            assert seen[True] >= 1 and seen[False] >= 1, (lang, name, seen)


def test_exchanges_include_the_hard_cases(raw_exchanges):
    notes = " ".join(e.get("note", "").lower() for e in raw_exchanges)
    for word in ("vague", "feedback", "asks again", "case number", "banner", "upsell"):
        assert word in notes, word
    assert sum(e["labels"]["asks_again"] is True for e in raw_exchanges) >= 6
    assert sum(e["labels"]["stalling_autoreply"] is True for e in raw_exchanges) >= 6


def test_no_real_personal_data_in_exchanges(raw_exchanges):
    problems = {}
    for e in raw_exchanges:
        text = "\n".join(str(e.get(k, "")) for k in ("customer", "reply", "reply_html", "persona"))
        if found := real_data_problems(text):
            problems[e["id"]] = found
    assert not problems, problems


def test_eval_reads_every_labelled_kinds_folder_but_the_unit_fixtures(tmp_path):
    from mysteryshop.quality.cli import default_kinds_folders

    for name, labelled in (("kinds", True), ("kinds_more", True), ("kinds_dev", True), ("kinds_empty", False)):
        folder = tmp_path / "tests/quality" / name
        folder.mkdir(parents=True)
        if labelled:
            (folder / "labels.yaml").write_text("{}\n")
    assert [p.name for p in default_kinds_folders(tmp_path)] == ["kinds", "kinds_more"]
    assert [p.name for p in default_kinds_folders(HERE.parent.parent)][:1] == ["kinds"]


def test_eval_reads_the_real_mail_sets_beside_the_repository(tmp_path):
    # shared/ lies beside the repository for sessions and CI; the real mail from public corpora is kept there, not in git
    from mysteryshop.quality.cli import default_kinds_folders

    repo = tmp_path / "repo"
    for folder in (repo / "tests/quality/kinds", tmp_path / "shared/kinds_real", tmp_path / "shared/kinds_real_unlabelled"):
        folder.mkdir(parents=True)
    for folder in (repo / "tests/quality/kinds", tmp_path / "shared/kinds_real"):
        (folder / "labels.yaml").write_text("{}\n")
    found = default_kinds_folders(repo)
    assert [p.name for p in found] == ["kinds", "kinds_real"]
    assert found[1].resolve() == (tmp_path / "shared/kinds_real").resolve()

    (tmp_path / "kinds_real2").mkdir()
    (tmp_path / "kinds_real2/labels.yaml").write_text("{}\n")
    (tmp_path / "kinds_real_src").mkdir()
    assert [p.name for p in default_kinds_folders(repo)] == ["kinds", "kinds_real2", "kinds_real"]


def test_eval_takes_several_kinds_folders():
    import argparse

    from mysteryshop.quality.cli import add_commands

    parser = argparse.ArgumentParser()
    add_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["quality", "eval", "--kinds", "a", "--kinds", "b"])
    assert args.kinds == ["a", "b"]
    assert parser.parse_args(["quality", "eval"]).kinds is None


def test_second_batch_of_kinds_follows_the_fixed_split_rule():
    """Messages added after the second-batch marker in kinds/labels.yaml are split by sha256, not by hand."""
    text = LABELS.read_text(encoding="utf-8")
    marker = "# ---- second batch"
    assert marker in text
    batch = yaml.safe_load(text[text.index(marker):])
    assert len(batch) >= 40, len(batch)
    wrong = {n: e["split"] for n, e in batch.items() if e["split"] != real_split(n)}
    assert not wrong, wrong
    assert {e["kind"] for e in batch.values()} >= {"survey", "marketing", "acknowledgement", "answer"}
    assert {e["language"] for e in batch.values()} == {"en", "de", "fr", "es"}


# ---------- second batch of exchanges: de2-/fr2-/es2- in exchanges_multilingual.yaml, and exchanges_more_en.yaml ----------

MORE_EN = HERE / "exchanges_more_en.yaml"
SECOND_BATCH = re.compile(r"(de|fr|es)2-")


def test_second_batch_exchanges_are_split_by_the_fixed_rule(raw_exchanges):
    batch = [e for e in raw_exchanges if SECOND_BATCH.match(e["id"])]
    assert len(batch) >= 40, len(batch)
    for lang in ("de", "fr", "es"):
        assert sum(e["language"] == lang for e in batch) >= 13, lang
    wrong = {e["id"]: e["split"] for e in batch if e["split"] != real_split(e["id"])}
    assert not wrong, wrong
    assert sum(e["split"] == "heldout" for e in batch) * 2 >= len(batch)


def test_more_english_exchanges_load_and_cover_every_criterion():
    raw = yaml.safe_load(MORE_EN.read_text(encoding="utf-8"))
    items = load_labelled(MORE_EN)
    assert len(items) == len(raw) >= 20
    for item in items:
        assert set(item.labels) == set(CRITERIA), item.id
    assert {e["language"] for e in raw} == {"en"}
    wrong = {e["id"]: e["split"] for e in raw if e["split"] != real_split(e["id"])}
    assert not wrong, wrong
    assert sum(e["split"] == "heldout" for e in raw) * 2 >= len(raw)
    for name in CRITERIA:
        seen = Counter(e["labels"][name] for e in raw)
        assert seen[True] >= 1 and seen[False] >= 1, (name, seen)
    problems = {e["id"]: found for e in raw
                if (found := real_data_problems("\n".join(str(e.get(k, "")) for k in ("customer", "reply", "reply_html", "persona"))))}
    assert not problems, problems


def test_eval_reads_the_new_exchange_files_by_default(monkeypatch):
    from mysteryshop.quality.labelled import default_sets

    monkeypatch.chdir(HERE.parent.parent)
    names = {p.name for p in default_sets()}
    assert {"exchanges_multilingual.yaml", "exchanges_more_en.yaml"} <= names, names


# ---------- the blind held-out batch: kinds_blind/ and exchanges_blind.yaml (see kinds_blind/README.md) ----------

# Each blind batch was written by a different labeller who never read the rules (see its README); the same checks
# hold for every batch: (folder of raw messages, file of exchanges).
BLIND_BATCHES = [(HERE / "kinds_blind", HERE / "exchanges_blind.yaml"),
                 (HERE / "kinds_blind2", HERE / "exchanges_blind2.yaml")]
# Languages outside the four scored ones are labelled with their own code: the kind still applies.
BLIND_LANGUAGES = LANGUAGES | {"it", "nl", "pt"}


@pytest.fixture(scope="module", params=BLIND_BATCHES, ids=lambda batch: batch[0].name)
def blind_batch(request) -> tuple[Path, Path]:
    return request.param


@pytest.fixture(scope="module")
def blind_dir(blind_batch) -> Path:
    return blind_batch[0]


@pytest.fixture(scope="module")
def blind_labels(blind_dir) -> dict:
    return yaml.safe_load((blind_dir / "labels.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def blind_messages(blind_dir, blind_labels) -> dict[str, EmailMessage]:
    return {name: parse(blind_dir / name) for name in blind_labels}


def test_blind_labels_list_exactly_the_files_present(blind_dir, blind_labels):
    present = {p.name for p in blind_dir.glob("*.eml")}
    assert set(blind_labels) == present, {"unlabelled": sorted(present - set(blind_labels)),
                                          "missing": sorted(set(blind_labels) - present)}
    others = {p.name for p in blind_dir.iterdir()} - present - {"labels.yaml", "README.md"}
    assert not others, f"unexpected files in {blind_dir}: {sorted(others)}"
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9-]*\.eml", n) for n in blind_labels)


def test_blind_labels_are_valid_and_all_held_out(blind_labels):
    for name, entry in blind_labels.items():
        assert set(entry) == {"kind", "language", "split", "notes"}, (name, entry)
        assert entry["kind"] in KINDS, (name, entry["kind"])
        assert entry["language"] in BLIND_LANGUAGES, (name, entry["language"])
        assert entry["split"] == "heldout", f"{name}: the blind batch is held out as a whole"
        if entry["language"] is None:
            assert entry["kind"] == "bounce", f"{name}: only a bounce may have no language"


def test_blind_batch_covers_every_kind_and_language(blind_labels):
    assert len(blind_labels) >= 60, len(blind_labels)
    kinds = Counter(e["kind"] for e in blind_labels.values())
    assert set(kinds) == KINDS and min(kinds.values()) >= 5, kinds
    for kind in ("out_of_office", "acknowledgement", "answer"):
        langs = {e["language"] for e in blind_labels.values() if e["kind"] == kind}
        assert langs >= {"en", "de", "fr", "es"}, (kind, langs)
    assert {e["language"] for e in blind_labels.values()} >= {"it", "nl", "pt"}


def test_blind_messages_parse_and_have_the_headers_a_real_one_has(blind_labels, blind_messages):
    for name, msg in blind_messages.items():
        for part in msg.walk():
            assert not part.defects, (name, part.get_content_type(), part.defects)
            if part.get_content_maintype() == "text":
                assert isinstance(part.get_content(), str), name
        for header in ("From", "To", "Subject", "Date"):
            assert msg[header] is not None, f"{name}: no {header}"
        assert parsedate_to_datetime(str(msg["Date"])).year >= 2025, name
        if msg["Message-ID"] is None:
            assert "no Message-ID" in blind_labels[name]["notes"], f"{name}: no Message-ID and no note saying why"
        for header in ("In-Reply-To", "References", "Message-ID"):
            if msg[header] is not None:
                assert re.fullmatch(r"(\s*<[^<>\s]+@[^<>\s]+>)+\s*", str(msg[header])), (name, header)


def test_blind_structure_varies(blind_dir, blind_labels, blind_messages):
    types = Counter(m.get_content_type() for m in blind_messages.values())
    encodings = Counter(str(p.get("Content-Transfer-Encoding", "7bit")).lower()
                        for m in blind_messages.values() for p in m.walk() if not p.is_multipart())
    raw_subjects = sum(b"Subject: =?" in (blind_dir / n).read_bytes() for n in blind_labels)
    html_only = sum(m.get_content_type() == "text/html" for m in blind_messages.values())
    no_auto = [n for n, m in blind_messages.items()
               if all(m[h] is None for h in ("Auto-Submitted", "X-Autoreply", "X-Autorespond"))]
    assert types["multipart/alternative"] >= 5 and types["multipart/report"] >= 5, types
    assert encodings["quoted-printable"] >= 10 and encodings["base64"] >= 4, encodings
    assert raw_subjects >= 10 and html_only >= 8 and len(no_auto) >= 15, (raw_subjects, html_only, len(no_auto))


def test_blind_delivery_reports_say_failed_for_bounces_and_not_for_others(blind_labels, blind_messages):
    for name, msg in blind_messages.items():
        for part in msg.walk():
            if part.get_content_type() != "message/delivery-status":
                continue
            actions = {a.lower() for a in re.findall(r"^Action:\s*(\w+)", text_of(part), re.MULTILINE | re.IGNORECASE)}
            assert ("failed" in actions) == (blind_labels[name]["kind"] == "bounce"), (name, actions)


def test_no_real_personal_data_in_blind_messages(blind_messages):
    problems = {name: found for name, msg in blind_messages.items() if (found := real_data_problems(text_of(msg)))}
    assert not problems, problems


@pytest.fixture(scope="module")
def blind_exchanges_path(blind_batch) -> Path:
    return blind_batch[1]


@pytest.fixture(scope="module")
def blind_exchanges(blind_exchanges_path) -> list[dict]:
    return yaml.safe_load(blind_exchanges_path.read_text(encoding="utf-8"))


def test_blind_exchanges_load_with_the_project_loader_and_are_held_out(blind_exchanges_path, blind_exchanges):
    items = load_labelled(blind_exchanges_path)
    assert len(items) == len(blind_exchanges) >= 40
    for item in items:
        assert set(item.labels) == set(CRITERIA), item.id
    assert {e["split"] for e in blind_exchanges} == {"heldout"}
    per_lang = Counter(e["language"] for e in blind_exchanges)
    assert set(per_lang) == {"en", "de", "fr", "es"} and min(per_lang.values()) >= 10, per_lang


def test_blind_exchanges_have_both_outcomes_per_criterion_and_language(blind_exchanges):
    for lang in ("en", "de", "fr", "es"):
        for name in CRITERIA:
            seen = Counter(e["labels"][name] for e in blind_exchanges if e["language"] == lang)
            assert seen[True] >= 1 and seen[False] >= 1, (lang, name, seen)


def test_blind_exchanges_include_the_hard_cases(blind_exchanges):
    notes = " ".join(e.get("note", "").lower() for e in blind_exchanges)
    for word in ("banner", "upsell", "case number", "routing", "asks again", "vague", "concrete", "feedback"):
        assert word in notes, word
    for name, least in (("asks_again", 4), ("stalling_autoreply", 10), ("marketing", 6), ("asks_feedback", 8)):
        assert sum(e["labels"][name] is True for e in blind_exchanges) >= least, name
        for lang in ("en", "de", "fr", "es"):
            assert any(e["labels"][name] is True for e in blind_exchanges if e["language"] == lang), (name, lang)


def test_no_real_personal_data_in_blind_exchanges(blind_exchanges):
    problems = {e["id"]: found for e in blind_exchanges
                if (found := real_data_problems("\n".join(str(e.get(k, "")) for k in ("customer", "reply", "reply_html", "persona"))))}
    assert not problems, problems


def test_eval_reads_the_blind_sets_by_default(monkeypatch, blind_dir, blind_exchanges_path):
    from mysteryshop.quality.cli import default_kinds_folders
    from mysteryshop.quality.labelled import default_sets

    root = HERE.parent.parent
    assert blind_dir in default_kinds_folders(root)
    monkeypatch.chdir(root)
    assert blind_exchanges_path.name in {p.name for p in default_sets()}
