"""Shape checks of a journey's step graph, each linear (or near-linear) in the journey's size.

Nothing here enumerates paths or cycles: a journey with 30 branching expectations has 2^30
paths, and a branching loop as many cycles. Instead:

- unbounded loops are the strongly connected parts of the graph without the steps that have
  `max_visits:` (a loop has no bound exactly when all its steps lack one), each shown by its
  shortest cycle through its first step in file order;
- a deadline sooner than an earlier one is found by propagating the latest deadline seen so
  far along the graph, strongly connected components first (dynamic programming on the DAG
  they form). A walk, as a probe takes it, may go round a bounded loop; the check follows
  walks, which on a journey without loops are exactly its paths.

Nodes carry their step (attribute `step`: `is_action`, `after`, `within`, `max_visits`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx

#: a deadline: (within, -file position, step id); the larger wins, the earlier step on a tie
Due = tuple[int, int, str]


def unbounded_loops(graph: nx.DiGraph, order: Mapping[str, int]) -> list[list[str]]:
    """One loop per group of steps that can go round without passing a step with `max_visits:`.

    Each loop starts at its first step in file order (`order`: step id -> position) and is the
    shortest way back to it; the loops come in file order.
    """
    free = nx.DiGraph()
    free.add_nodes_from(n for n in graph if not graph.nodes[n]["step"].max_visits)
    free.add_edges_from((u, v) for u, v in graph.edges if u in free and v in free)
    loops = []
    for members in nx.strongly_connected_components(free):
        first = min(members, key=order.__getitem__)
        if len(members) > 1 or free.has_edge(first, first):
            loops.append(_shortest_cycle(free, members, first))
    return sorted(loops, key=lambda loop: order[loop[0]])


def _shortest_cycle(graph: nx.DiGraph, members: set[str], first: str) -> list[str]:
    parent: dict[str, str | None] = {first: None}
    queue = deque([first])
    while queue:
        node = queue.popleft()
        for successor in graph.successors(node):
            if successor == first:
                path = [node]
                while (back := parent[path[-1]]) is not None:
                    path.append(back)
                return path[::-1]
            if successor in members and successor not in parent:
                parent[successor] = node
                queue.append(successor)
    raise ValueError(f"{first} is on no cycle")  # unreachable: members are strongly connected


@dataclass(frozen=True, slots=True)
class SoonerDeadline:
    """Expectation `step` is due `within` after `counted_from`, sooner than `earlier` (`earlier_within`) before it."""

    step: str
    within: int
    earlier: str
    earlier_within: int
    counted_from: str


def sooner_deadlines(graph: nx.DiGraph, order: Mapping[str, int], *, business: str | None = None) -> list[SoonerDeadline]:
    """Expectations due sooner than an earlier one counting from the same action on some walk.

    Between two actions a walk keeps one action as its anchor (an action resets it). An
    expectation counts from its `after:` or else from the anchor. Expectation E conflicts with an
    earlier F when both count from the same action, F's deadline is later, and a walk goes
    A -> ... -> F -> ... -> E with no action after A. With `segment` = the graph without edges
    into actions, that is, for E and F:

    - both without `after:`: F reaches E in `segment` (any action reaching F anchors both);
    - both `after: X`: the same;
    - F `after: X`, E none: X reaches F in `segment`, and F reaches E;
    - E `after: X`, F none: X reaches F in `segment` (X anchors F), and F reaches E.

    So one propagation serves every expectation without `after:`, and one per action named in an
    `after:`, over the part of the graph that action's expectations reach.

    Only deadlines of one kind compare: elapsed ones (`business` None), or business ones in `business`
    units ("hours", "days"); 8 business hours may end sooner or later than 12 elapsed hours.
    """
    step = {n: graph.nodes[n]["step"] for n in graph}
    actions = {n for n, s in step.items() if s.is_action}
    timed = sorted((n for n, s in step.items() if not s.is_action and s.within is not None and getattr(s, "business", None) == business),
                   key=order.__getitem__)
    if not timed:
        return []
    segment = nx.DiGraph()
    segment.add_nodes_from(graph)
    segment.add_edges_from((u, v) for u, v in graph.edges if v not in actions)
    upstream = _Upstream(segment)
    named = {step[n].after for n in timed if step[n].after}
    reach = {x: _descendants(segment, x) for x in named if x in actions}  # bounded by the next actions
    due: dict[str, Due] = {n: (step[n].within, -order[n], n) for n in timed}
    free = [n for n in timed if not step[n].after]
    by_after: dict[str, list[str]] = {}
    for n in timed:
        if step[n].after:
            by_after.setdefault(step[n].after, []).append(n)
    found: list[SoonerDeadline] = []

    def report(targets: Iterable[str], sources: dict[str, Due], anchor: Mapping[str, str] | None) -> None:
        best = upstream.best(sources)
        for node in targets:
            earlier = best.get(node)
            if earlier is not None and earlier[0] > step[node].within:
                culprit = earlier[2]
                counted_from = step[node].after or step[culprit].after or (anchor or {}).get(culprit, "")
                found.append(SoonerDeadline(node, step[node].within, culprit, earlier[0], counted_from))

    plain = {n: due[n] for n in timed if not step[n].after or n in reach.get(step[n].after, ())}
    report(free, plain, _nearest_action(segment, actions, order))
    for name, expecting in sorted(by_after.items(), key=lambda item: order.get(item[0], -1)):
        sources = {n: due[n] for n in expecting}
        sources.update((n, due[n]) for n in reach.get(name, ()) if n in due and not step[n].after)
        report(expecting, sources, None)
    return sorted(found, key=lambda f: order[f.step])


def _descendants(graph: nx.DiGraph, source: str) -> set[str]:
    """nx.descendants without its per-call dispatch cost (called once per action named in an `after:`)."""
    seen: set[str] = set()
    queue = deque([source])
    successors = graph.succ
    while queue:
        for successor in successors[queue.popleft()]:
            if successor not in seen:
                seen.add(successor)
                queue.append(successor)
    return seen


def _nearest_action(segment: nx.DiGraph, actions: set[str], order: Mapping[str, int]) -> dict[str, str]:
    """For each step, an action that reaches it in `segment` (the closest; the earliest in the file on a tie)."""
    label = {a: a for a in sorted(actions, key=order.__getitem__)}
    queue = deque(label)
    while queue:
        node = queue.popleft()
        for successor in segment.successors(node):
            if successor not in label:
                label[successor] = label[node]
                queue.append(successor)
    return label


class _Upstream:
    """The best value of any source strictly upstream of each node (reached by a walk of at least one edge)."""

    def __init__(self, graph: nx.DiGraph) -> None:
        self.graph = graph
        self.dag = nx.condensation(graph)
        self.component: dict[str, int] = self.dag.graph["mapping"]
        self.rank = {c: i for i, c in enumerate(nx.topological_sort(self.dag))}
        members = self.dag.nodes
        self.loops = {c for c in self.dag if len(members[c]["members"]) > 1 or any(graph.has_edge(m, m) for m in members[c]["members"])}

    def best(self, sources: Mapping[str, Due]) -> dict[str, Due]:
        own: dict[int, Due] = {}
        for node, value in sources.items():
            c = self.component[node]
            own[c] = max(own[c], value) if c in own else value
        reached = set(own)
        queue = deque(own)
        while queue:
            for successor in self.dag.successors(queue.popleft()):
                if successor not in reached:
                    reached.add(successor)
                    queue.append(successor)
        leaving: dict[int, Due] = {}
        entering: dict[int, Due] = {}
        for c in sorted(reached, key=self.rank.__getitem__):
            candidates: list[Any] = [leaving[p] for p in self.dag.predecessors(c) if p in leaving]
            if c in self.loops and c in own:
                candidates.append(own[c])  # round the loop, every step of it is upstream of every other
            if candidates:
                entering[c] = max(candidates)
            out = [v for v in (entering.get(c), own.get(c)) if v is not None]
            if out:
                leaving[c] = max(out)
        return {n: entering[c] for c in entering for n in self.dag.nodes[c]["members"]}


def captures_used_too_early(
    graph: nx.DiGraph, uses: Mapping[str, Mapping[str, set[str]]], ids: Mapping[int, str],
) -> list[tuple[int, str, str, str, list[str]]]:
    """Steps that use a captured value no step before them captures: (file index, step id, text field, name, the
    steps that capture it). "Before" is any step a walk can pass on its way to the step (its ancestors in the graph).

    Ancestors are found once per step that uses a captured value: linear in the journey per such step.
    """
    index_of = {step_id: index for index, step_id in ids.items()}
    capturers: dict[str, list[str]] = {}
    for node in graph:
        for capture in graph.nodes[node]["step"].captures:
            capturers.setdefault(capture.name, []).append(node)
    found = []
    for step_id, fields in uses.items():
        if step_id not in graph:
            continue
        before = nx.ancestors(graph, step_id)
        for fld, names in fields.items():
            for name in sorted(names):
                if not any(c in before for c in capturers.get(name, [])):
                    found.append((index_of[step_id], step_id, fld, name, capturers.get(name, [])))
    return found
