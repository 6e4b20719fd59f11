"""The checker cannot be crashed: hostile files give file:line errors, big and branching journeys are checked in linear time.

Every bad-input kind goes through `mysteryshop journeys check`, and the same files through pytest
collection (`pytest journeys/`, a probe's @pytest.mark.journey), a run and a campaign. Timeouts
bound the tests; the figures are in bench/journey_check.py.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mysteryshop.cli import main
from mysteryshop.errors import JourneyError
from mysteryshop.journey import MAX_PROBLEMS, Step, load_journey
from mysteryshop.journeychecks import sooner_deadlines, unbounded_loops
from mysteryshop.target import load_target
from mysteryshop.yamlsource import MAX_BYTES

from .conftest import ROOT
from .journeygen import branching_journey, long_journey

pytest_plugins = ["pytester"]

HEAD = "title: T\nsteps:\n  - id: ask\n    do: send_email\n    subject: s\n    body: b\n"
NEST = "title: T\nsteps:\n  - id: ask\n    do: send_email\n    subject: s\n    body: b\n    fields:\n"
LAUGHS = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 9)
) + HEAD

#: name -> (file content, the expected line: ':line:col: message' after the path, or ': message' without a position)
BAD_INPUTS: dict[str, tuple[bytes, str]] = {
    "non-utf8": (b"title: caf\xe9\nsteps: []\n", ":1:11: not UTF-8 text (byte 0xe9); save the file as UTF-8"),
    "non-utf8-later": (HEAD.encode() + b"    # \xff\xfe\n", ":7:7: not UTF-8 text (byte 0xff)"),
    "binary": (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, ":1:1: not UTF-8 text (byte 0x89)"),
    "nul-bytes": (b"title: T\nsteps:\x00\x00\n", ":2:7: control character U+0000: this is not a text file, or it is damaged"),
    "empty": (b"", ":1:1: the file is empty; a journey needs 'title:' and 'steps:'"),
    "only-comments": (b"# a journey, some day\n\n", ":1:1: the file is empty; a journey needs 'title:' and 'steps:'"),
    "a-list": (b"- title: T\n", ":1:1: expected a mapping of fields at the top level"),
    "flow-nesting-5000": ((HEAD + "  - " + "[" * 5000 + "]" * 5000 + "\n").encode(), ":7:"),
    "flow-nesting-60": ((HEAD + "  - " + "[" * 60 + "]" * 60 + "\n").encode(), ":7:53: nested more than 50 levels deep"),
    "block-nesting-1000": ((NEST + "".join(" " * (6 + 2 * i) + f"k{i}:\n" for i in range(1000))).encode(), ":55:101: nested more than 50 levels deep"),
    "too-many-values": (b"title: T\nsteps: [" + b"1, " * 100_000 + b"1]\n", ":2:299994: more than 100,000 values in one file (a 10,000-step journey has about 80,000)"),
    "billion-laughs": (LAUGHS.encode(), ":5:45: aliases (*name) expand this file to more than 100,000 values"),
    "alias-to-itself": (b"title: &t [*t]\nsteps: []\n", ":1:12: alias *t names no anchor (&t) defined before it"),
    "unknown-alias": (b"title: *nowhere\nsteps: []\n", ":1:8: alias *nowhere names no anchor"),
    "python-tag": (b"title: !!python/object/apply:os.system [echo hi]\nsteps: []\n", ":1:8: unsupported tag 'tag:yaml.org,2002:python/object/apply:os.system'"),
    "huge-number": ((HEAD + "    max_visits: " + "9" * 5000 + "\n").encode(), ":7:17: '9999999999999999999999999999999999999999' is not a valid number (too long)"),
    "duplicate-key": (b"title: T\ntitle: U\nsteps: []\n", ":2:1: duplicate key 'title' (first on line 1)"),
    "two-documents": (b"title: T\nsteps: []\n---\ntitle: U\n", ":3:1: a second document ('---')"),
    "template-not-a-mapping": ((b"templates:\n  t: [1, 2]\n" + HEAD.encode() + b"  - id: x\n    use: t\n"), ":2:3: templates.t: Input should be a valid dictionary"),
    "within-a-list": ((HEAD + "  - id: w\n    expect: answer\n    within: []\n").encode(), ":9:5: steps[1].within: a list is not a duration"),
    "within-infinite": ((HEAD + "  - id: w\n    expect: answer\n    within: .inf\n").encode(), ":9:5: steps[1].within: 'inf' is not a duration of at most a century"),
    "believed-a-mapping": (b"believed:\n  answer: {a: 1}\n" + HEAD.encode(), ":2:3: believed.answer: a mapping is not a duration"),
    "use-not-a-name": ((HEAD + "  - id: x\n    use: [a]\n").encode(), ":8:5: steps[1].use: no template '['a']'"),
}


def _write(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_bytes(content)
    return path


def _check(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = main(["journeys", "check", str(path)])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out.splitlines()


@pytest.mark.timeout(10)
@pytest.mark.parametrize("kind", list(BAD_INPUTS))
def test_each_bad_input_gives_a_file_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str) -> None:
    content, expected = BAD_INPUTS[kind]
    path = _write(tmp_path, kind, content)
    code, lines = _check(path, capsys)
    assert code == 1
    assert lines[-1].startswith("1 file(s), ")
    assert re.fullmatch(rf"{re.escape(str(path))}:\d+:\d+: .+", lines[0]), lines
    assert lines[0].startswith(f"{path}{expected}"), lines


@pytest.mark.timeout(10)
def test_a_deep_flow_nesting_names_the_nesting(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "deep", BAD_INPUTS["flow-nesting-5000"][0])
    _, lines = _check(path, capsys)
    assert "nest" in lines[0] and "journey and target files need fewer than 10" in lines[0], lines


@pytest.mark.timeout(10)
def test_a_billion_laughs_file_is_stopped_at_the_alias_that_overflows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "laughs", LAUGHS.encode())
    _, lines = _check(path, capsys)
    assert lines[0] == f"{path}:5:45: aliases (*name) expand this file to more than 100,000 values; use fewer, smaller aliases", lines


@pytest.mark.timeout(10)
def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("wb") as handle:
        handle.truncate(40_000_000)  # sparse: 40 MB that would take minutes to parse
    code, lines = _check(path, capsys)
    assert code == 1
    assert lines[0] == (f"{path}: the file is 40.0 MB; journey and target files are limited to 2 MB (a 10,000-step journey "
                        "is about 0.7 MB). Split it into smaller journeys")
    assert MAX_BYTES == 2_000_000


@pytest.mark.timeout(10)
def test_a_file_just_over_the_limit_is_refused_and_one_under_it_is_read(tmp_path: Path) -> None:
    filler = "# " + "x" * 98 + "\n"
    under = tmp_path / "under.yaml"
    under.write_text(HEAD + filler * ((MAX_BYTES - len(HEAD)) // len(filler)))
    assert load_journey(under).name == "under"
    over = tmp_path / "over.yaml"
    over.write_text(HEAD + filler * ((MAX_BYTES - len(HEAD)) // len(filler) + 1))
    with pytest.raises(JourneyError, match=r"over.yaml: the file is 2.0 MB; journey and target files are limited to 2 MB"):
        load_journey(over)


@pytest.mark.timeout(10)
def test_a_pipe_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    with pytest.raises(JourneyError, match=r"pipe.yaml: not a regular file"):
        load_journey(fifo)


@pytest.mark.timeout(10)
@pytest.mark.parametrize("kind", ["non-utf8", "binary", "empty", "flow-nesting-5000", "block-nesting-1000", "billion-laughs"])
def test_target_files_get_the_same_protection(tmp_path: Path, kind: str) -> None:
    content, expected = BAD_INPUTS[kind]
    path = _write(tmp_path, "acme", content)
    with pytest.raises(JourneyError) as info:
        load_target(path)
    (problem,) = info.value.problems
    expected = expected.replace("a journey needs 'title:' and 'steps:'", "it needs a mapping of fields (name,")
    assert problem.startswith(f"{path}{expected}"), problem


@pytest.mark.timeout(10)
def test_a_target_whose_ticket_pattern_nests_thousands_deep(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "targets" / "acme.yaml"
    path.parent.mkdir()
    path.write_text("email: {support_address: s@x.test}\nticket_pattern: '" + "(" * 2000 + ")" * 2000 + "'\n")
    code, lines = _check(path, capsys)
    assert code == 1
    assert lines[0] == f"{path}:2:1: ticket_pattern: ticket_pattern is not a valid regular expression: maximum recursion depth exceeded"


def _project(root: Path, bad: dict[str, bytes]) -> Path:
    shutil.copytree(ROOT / "journeys", root / "journeys", ignore=shutil.ignore_patterns("*.json"))
    for name, content in bad.items():
        (root / "journeys" / f"{name}.yaml").write_bytes(content)
    (root / "pyproject.toml").write_text('[project]\nname = "shop"\n')
    return root / "journeys"


COLLECTED = ["non-utf8", "binary", "empty", "flow-nesting-5000", "block-nesting-1000", "billion-laughs", "huge-number"]


@pytest.mark.timeout(120)
def test_pytest_collection_reports_bad_journey_files_and_probes_without_a_traceback(pytester: pytest.Pytester) -> None:
    journeys = _project(pytester.path, {kind.replace("-", "_"): BAD_INPUTS[kind][0] for kind in COLLECTED})
    with (journeys / "huge.yaml").open("wb") as handle:
        handle.truncate(40_000_000)
    for kind in ("non-utf8", "block-nesting-1000"):
        pytester.makepyfile(**{f"test_probe_{kind.replace('-', '_')}": (
            f"import pytest\n\n@pytest.mark.journey({kind.replace('-', '_')!r})\ndef test_it(probe):\n    probe.check()\n")})
    result = pytester.runpytest_subprocess(*(f"journeys/{kind.replace('-', '_')}.yaml" for kind in COLLECTED), "journeys/huge.yaml",
                                           "test_probe_non_utf8.py", "test_probe_block_nesting_1000.py", "--collect-only")
    text = result.stdout.str() + result.stderr.str()
    assert "Traceback" not in text and "RecursionError" not in text
    result.assert_outcomes(errors=len(COLLECTED) + 3)
    for kind in COLLECTED:
        path = journeys / f"{kind.replace('-', '_')}.yaml"
        assert f"{path}{BAD_INPUTS[kind][1]}" in text, kind
    assert f"{journeys / 'huge.yaml'}: the file is 40.0 MB" in text
    # the journey file and the probe using it (and again in the short summary, untruncated when CI is set)
    assert text.count(f"{journeys / 'non_utf8.yaml'}:1:11: not UTF-8 text") in (2, 4)


def _cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    code = "import sys; from mysteryshop.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, *args], cwd=root, env=env, capture_output=True, text=True, timeout=100)


@pytest.mark.timeout(120)
def test_a_run_and_a_campaign_report_a_bad_journey_file_and_stop(tmp_path: Path) -> None:
    journeys = _project(tmp_path, {"email_question": BAD_INPUTS["non-utf8"][0]})
    (tmp_path / "probes").mkdir()
    shutil.copy(ROOT / "probes/test_email_question.py", tmp_path / "probes")
    shutil.copy(ROOT / "conftest.py", tmp_path)
    expected = f"{journeys / 'email_question.yaml'}:1:11: not UTF-8 text (byte 0xe9); save the file as UTF-8"
    run = _cli(tmp_path, "run", "--root", str(tmp_path))
    assert run.returncode != 0
    assert f"error: {expected}" in run.stderr and "Traceback" not in run.stdout + run.stderr, run.stderr
    campaign = _cli(tmp_path, "run", "--root", str(tmp_path), "--campaign", "q4", "--dry-run")
    assert campaign.returncode == 2
    assert campaign.stderr.strip() == f"error: {expected}"


@pytest.mark.timeout(10)
def test_a_file_with_thousands_of_problems_lists_the_first_hundred_and_counts_the_rest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "many.yaml"
    path.write_text(HEAD + "".join(f"  - id: x{i}\n    expect: answer\n    within: soon\n" for i in range(3000)))
    code, lines = _check(path, capsys)
    assert code == 1
    assert len(lines) == MAX_PROBLEMS + 2
    assert lines[MAX_PROBLEMS] == f"{path}: 2900 more problem(s) not listed; fix the ones above and check again"
    assert lines[-1] == "1 file(s), 3000 problem(s)"


# -- scale: generated journeys, checked correctly --------------------------------------------

def _line_of(text: str, needle: str, after: str) -> int:
    lines = text.splitlines()
    start = lines.index(after)
    return next(i for i in range(start, len(lines)) if lines[i] == needle) + 1


def _problems(tmp_path: Path, text: str, name: str = "gen") -> list[str]:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    with pytest.raises(JourneyError) as info:
        load_journey(path)
    return [p.removeprefix(f"{path}:") for p in info.value.problems]


@pytest.mark.timeout(30)
@pytest.mark.parametrize("n", [1000, 5000])
def test_a_long_generated_journey_loads_with_every_step_and_edge(tmp_path: Path, n: int) -> None:
    path = tmp_path / "long.yaml"
    path.write_text(long_journey(n))
    journey = load_journey(path)
    assert len(journey.graph) == n and journey.graph.number_of_edges() == n - 1
    assert journey.anchor(f"s{n - 1}") == f"s{n - 4}"


@pytest.mark.timeout(30)
@pytest.mark.parametrize("n", [1000, 5000])
def test_a_long_journey_with_a_sooner_deadline_near_its_end(tmp_path: Path, n: int) -> None:
    text = long_journey(n, sooner=n - 2)
    line = _line_of(text, "    within: 30m", f"  - id: s{n - 2}")
    assert _problems(tmp_path, text) == [
        f"{line}:5: steps[{n - 2}].within: 30m is sooner than 's{n - 3}' (1h) earlier on the same path from 's{n - 4}'. "
        "Give it at least 1h, or count it from a later action with 'after:'"
    ]


@pytest.mark.timeout(30)
@pytest.mark.parametrize("n", [1000, 5000])
def test_a_long_journey_with_one_unreachable_step(tmp_path: Path, n: int) -> None:
    text = long_journey(n, unreachable=n // 2)
    line = _line_of(text, f"  - id: s{n // 2}", "steps:")
    assert _problems(tmp_path, text) == [
        f"{line}:5: steps[{n // 2}]: step 's{n // 2}' can never be reached from 's0'. Point a 'next:' or 'on_*:' of an earlier step at it, or remove it"
    ]


@pytest.mark.timeout(30)
@pytest.mark.parametrize("n", [1000, 5000])
def test_a_loop_through_the_whole_long_journey_without_a_bound(tmp_path: Path, n: int) -> None:
    (problem,) = _problems(tmp_path, long_journey(n, loop=(4, n - 1)))
    assert problem == (
        f"16:5: steps[4]: the steps s4 -> s5 -> s6 -> s7 -> s8 -> s9 -> s10 -> s11 -> ... ({n - 4 - 10} more) ... -> s{n - 2} -> s{n - 1} -> s4 "
        "form a loop with no bound. Add 'max_visits: N' to one of them"
    )


@pytest.mark.timeout(30)
def test_the_loop_bounded_by_its_email_loads(tmp_path: Path) -> None:
    text = long_journey(5000, loop=(4, 4999)).replace("  - id: s4\n", "  - id: s4\n    max_visits: 2\n")
    path = tmp_path / "bounded.yaml"
    path.write_text(text)
    assert load_journey(path).graph.edges["s4999", "s4"]["when"] == "timeout"


@pytest.mark.timeout(20)
@pytest.mark.parametrize("k", [30, 40])
def test_a_journey_with_many_branching_expectations(tmp_path: Path, k: int) -> None:
    path = tmp_path / "branching.yaml"
    path.write_text(branching_journey(k))
    journey = load_journey(path)
    assert len(journey.graph) == 3 * k + 1
    assert nx.is_directed_acyclic_graph(journey.graph)


@pytest.mark.timeout(20)
@pytest.mark.parametrize("k", [30, 40])
def test_a_sooner_deadline_on_one_branch_of_many(tmp_path: Path, k: int) -> None:
    text = branching_journey(k, sooner=k - 5)
    line = _line_of(text, "    within: 30m", f"  - id: f{k - 5}")
    index = 3 * (k - 5) + 3
    assert _problems(tmp_path, text) == [
        f"{line}:5: steps[{index}].within: 30m is sooner than 'e{k - 5}' ({_hours(k - 4)}) earlier on the same path from 'ask'. "
        f"Give it at least {_hours(k - 4)}, or count it from a later action with 'after:'"
    ]


def _hours(n: int) -> str:
    return f"{n // 24}d {n % 24}h" if n % 24 else f"{n // 24}d"


@pytest.mark.timeout(20)
def test_a_branching_loop_without_a_bound_is_one_problem(tmp_path: Path) -> None:
    (problem,) = _problems(tmp_path, branching_journey(30, loop=True))
    assert problem == ("7:5: steps[1]: the steps e0 -> p0 -> e1 -> p1 -> e2 -> p2 -> e3 -> p3 -> ... (50 more) ... -> e29 -> p29 -> e0 "
                       "form a loop with no bound. Add 'max_visits: N' to one of them")


@pytest.mark.timeout(20)
def test_a_bounded_loop_back_to_an_earlier_expectation_is_checked_along_the_walk(tmp_path: Path) -> None:
    # going round, e0 (due 1h after the email) comes after e29 (due 30h after it) with no email in between:
    # a probe would find it overdue on arrival, as the runner counts deadlines from the walk's last action
    problems = _problems(tmp_path, branching_journey(30, loop=True, bounded=True))
    assert len(problems) == 3 * 30 - 3
    assert problems[0] == ("9:5: steps[1].within: 1h is sooner than 'e29' (1d 6h) earlier on the same path from 'ask'. "
                           "Give it at least 1d 6h, or count it from a later action with 'after:'")


# -- the checks against path enumeration on small graphs -------------------------------------

def _old_sooner(graph: nx.DiGraph, start: str) -> set[str]:
    """The deadline check as it was: every simple path from `start` (exponential; fine for 9 steps)."""
    reported: set[str] = set()

    def walk(node: str, anchor: str | None, due: dict[str, int], seen: frozenset[str]) -> None:
        step = graph.nodes[node]["step"]
        if step.is_action:
            anchor, due = node, {}
        elif step.within is not None:
            counted_from = step.after or anchor or ""
            if counted_from in due and step.within < due[counted_from]:
                reported.add(node)
            due = {**due, counted_from: max(step.within, due.get(counted_from, 0))}
        for successor in graph.successors(node):
            if successor not in seen:
                walk(successor, anchor, due, seen | {successor})

    walk(start, None, {}, frozenset({start}))
    return reported


@st.composite
def step_graphs(draw: st.DrawFn, *, loops: bool) -> nx.DiGraph:
    count = draw(st.integers(min_value=2, max_value=9))
    graph = nx.DiGraph()
    actions: list[str] = []
    for i in range(count):
        if i == 0 or draw(st.integers(0, 3)) == 0:
            step = Step(id=f"s{i}", do="send_email", subject="s", body="b", max_visits=draw(st.sampled_from([None, 2])))
            actions.append(step.id)
        else:
            after = draw(st.sampled_from([None, None, *actions]))
            step = Step(id=f"s{i}", expect="answer", within=draw(st.integers(1, 5)) * 3600, after=after,
                        max_visits=draw(st.sampled_from([None, None, 2])))
        graph.add_node(step.id, step=step)
        if i:
            graph.add_edge(f"s{draw(st.integers(0, i - 1))}", step.id)
    for _ in range(draw(st.integers(0, 2 * count))):
        a, b = draw(st.integers(0, count - 1)), draw(st.integers(0, count - 1))
        if a < b or loops:
            graph.add_edge(f"s{a}", f"s{b}")
    return graph


def _order(graph: nx.DiGraph) -> dict[str, int]:
    return {n: int(n[1:]) for n in graph}


@settings(max_examples=300, deadline=None)
@given(graph=step_graphs(loops=False))
def test_on_journeys_without_loops_the_deadline_check_finds_what_path_enumeration_found(graph: nx.DiGraph) -> None:
    assert {f.step for f in sooner_deadlines(graph, _order(graph))} == _old_sooner(graph, "s0")


@settings(max_examples=300, deadline=None)
@given(graph=step_graphs(loops=True))
def test_with_loops_the_deadline_check_follows_walks_and_loops_are_found_without_enumerating_them(graph: nx.DiGraph) -> None:
    order = _order(graph)
    assert {f.step for f in sooner_deadlines(graph, order)} >= _old_sooner(graph, "s0")
    unbounded = [c for c in nx.simple_cycles(graph) if not any(graph.nodes[n]["step"].max_visits for n in c)]
    loops = unbounded_loops(graph, order)
    assert bool(loops) == bool(unbounded)
    on_loops = {n for c in unbounded for n in c}
    for loop in loops:
        assert all(graph.has_edge(a, b) for a, b in zip(loop, [*loop[1:], loop[0]]))
        assert set(loop) <= on_loops and loop[0] == min(loop, key=order.__getitem__)
    assert len({n for loop in loops for n in loop}) == sum(len(loop) for loop in loops)  # one loop per group


# -- fuzz: any document, any bytes ------------------------------------------------------------

KEYS = ["title", "steps", "id", "do", "expect", "within", "next", "on_pass", "on_fail", "on_timeout", "max_visits", "use",
        "templates", "after", "fields", "facts", "subject", "body", "end", "name", "email", "webform", "chat", "<<", "x"]
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=12),
                    st.sampled_from(["send_email", "answer", "1h", "s0", "s1", "{persona.x}", "~", "&a", "*a", "!!binary"]))
DOCS = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(st.sampled_from(KEYS), inner, max_size=6)),
                    max_leaves=40)
NAMES = st.sampled_from(["t", "u", "s0", "s1"])
JOURNEYISH = st.fixed_dictionaries({
    "title": SCALARS,
    "templates": st.one_of(DOCS, st.dictionaries(NAMES, DOCS, max_size=3)),
    "steps": st.lists(st.one_of(DOCS, st.dictionaries(st.sampled_from(KEYS), st.one_of(NAMES, SCALARS, DOCS), max_size=6)), max_size=5),
})


def _yaml_text(doc: object) -> str:
    import io

    from ruamel.yaml import YAML

    buffer = io.StringIO()
    YAML().dump(doc, buffer)
    return buffer.getvalue()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=st.one_of(DOCS, JOURNEYISH), cut=st.integers(0, 400))
def test_any_document_or_fragment_gives_journey_errors_only(tmp_path: Path, doc: object, cut: int) -> None:
    text = _yaml_text(doc)
    for content in (text, text[:cut], text.replace("\n", "\n" + "  " * (cut % 4), cut % 7)):
        path = tmp_path / "fuzz.yaml"
        path.write_text(content)
        for load in (load_journey, load_target):
            try:
                load(path)
            except JourneyError as exc:
                assert all(line.startswith(f"{path}:") for line in exc.problems)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300))
def test_any_bytes_give_journey_errors_only(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "bytes.yaml"
    path.write_bytes(data)
    try:
        load_journey(path)
    except JourneyError as exc:
        assert exc.problems[0].startswith(f"{path}:")


def test_anchors_and_merge_keys_still_work_and_merged_fields_point_at_the_merge(tmp_path: Path) -> None:
    path = tmp_path / "merge.yaml"
    path.write_text("title: T\nsteps:\n  - &ask {id: ask, do: send_email, subject: s, body: b}\n"
                    "  - id: wait\n    expect: answer\n    within: 1h\n"
                    "  - <<: *ask\n    id: again\n  - id: wait_again\n    <<: {expect: answer, within: soon}\n")
    with pytest.raises(JourneyError) as info:
        load_journey(path)
    assert [p.removeprefix(f"{path}:") for p in info.value.problems] == [
        "10:5: steps[3].within: 'soon' is not a duration: write a number with a unit, e.g. 500ms, 90s, 15m, 24h, 3d (or combined: 1h30m)"
    ]
    path.write_text(path.read_text().replace("soon", "2h"))
    journey = load_journey(path)
    assert journey.step("again").subject == "s" and journey.step("wait_again").within == 7200 * 10**9
