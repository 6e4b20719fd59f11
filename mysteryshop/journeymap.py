"""The journey map: a journey's graph drawn with graphviz, coloured by what the probes lived through.

Each expectation is coloured by its pass rate over every probe of a run and labelled with the
figures (passed/total, median time against the deadline); each edge shows how many probes took
it. Actions are drawn as boxes, expectations as rounded boxes, and unvisited steps in grey.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from dataclasses import dataclass

import graphviz

from mysteryshop.durations import spoken_duration
from mysteryshop.journey import Journey

GREEN, AMBER, RED, GREY, BLUE = "#c8e6c9", "#ffe9a8", "#ffcdd2", "#eeeeee", "#dbe9f6"
BORDER = {GREEN: "#2e7d32", AMBER: "#b58900", RED: "#c62828", GREY: "#9e9e9e", BLUE: "#1f5f99"}
FONT = "Helvetica"  # Liberation Sans on Debian (fontconfig): the same metrics for graphviz's layout and for Chromium
NODE_SIZE, EDGE_SIZE, TITLE_SIZE = 10, 10, 11  # points; the map is drawn at a scale that keeps the smallest readable


def colour_for(passed: int, failed: int) -> str:
    """Green at 90% passed or better, amber from 50%, red below; grey when nothing was judged."""
    total = passed + failed
    if total == 0:
        return GREY
    rate = passed / total
    return GREEN if rate >= 0.9 else AMBER if rate >= 0.5 else RED


def journey_stats(journey: Journey, probes: Iterable[Mapping[str, Any]]) -> tuple[dict[str, dict[str, Any]], dict[tuple[str, str], int]]:
    """Per-step and per-edge figures from scorecard probe records (`path`, `outcomes`) of one journey."""
    steps: dict[str, dict[str, Any]] = {
        s.id: {"visits": 0, "passed": 0, "failed": 0, "pending": 0, "latencies": [], "deadline_ns": s.within} for s in journey.steps
    }
    edges: Counter[tuple[str, str]] = Counter()
    for probe in probes:
        if probe.get("journey", journey.name) != journey.name:
            continue
        path = [p["step"] if isinstance(p, Mapping) else p for p in probe.get("path") or []]
        for step_id in path:
            if step_id in steps:
                steps[step_id]["visits"] += 1
        edges.update(zip(path, path[1:], strict=False))
        for outcome in probe.get("outcomes", []):
            stats = steps.get(outcome["step"])
            if stats is None:
                continue
            stats[outcome["status"]] = stats.get(outcome["status"], 0) + 1
            if outcome["status"] == "passed" and outcome.get("latency_ns") is not None:
                stats["latencies"].append(outcome["latency_ns"])
    for stats in steps.values():
        latencies = stats.pop("latencies")
        stats["median_latency_ns"] = int(statistics.median(latencies)) if latencies else None
    return steps, dict(edges)


def build_graph(
    journey: Journey, step_stats: Mapping[str, Mapping[str, Any]] | None = None, edge_stats: Mapping[tuple[str, str], int] | None = None,
    *, columns: int | None = None, title: bool = True, compact: bool = False,
) -> graphviz.Digraph:
    """The journey's graph, left to right; with `columns`, wrapped into rows of that many steps (see `snake`).

    `compact` labels hold two lines (the step, then its figures) instead of four: for a page that shows every journey.
    """
    step_stats = step_stats or {}
    edge_stats = edge_stats or {}
    graph_attr = {"rankdir": "LR", "fontname": FONT, "fontsize": str(TITLE_SIZE), "ranksep": "0.2", "nodesep": "0.2", "pad": "0.05"}
    if title:
        graph_attr.update(label=journey.title, labelloc="t")
    dot = graphviz.Digraph(journey.name, graph_attr=graph_attr)
    place = snake(journey, columns) if columns else None
    dot.attr("node", fontname=FONT, fontsize=str(NODE_SIZE), style="filled", margin="0.05,0.02")
    dot.attr("edge", fontname=FONT, fontsize=str(EDGE_SIZE))
    for step in journey.steps:
        stats = step_stats.get(step.id, {})
        lines, fill, style = (_compact_label if compact else _label)(step, stats, bool(step_stats))
        dot.node(step.id, label="\n".join(lines), shape="box", style=style, fillcolor=fill, color=BORDER.get(fill, "#555555"),
                 **({"group": f"row{place.row[step.id]}"} if place is not None else {}))
    for source, target, data in journey.graph.edges(data=True):
        count = edge_stats.get((source, target), 0)
        label = data.get("when", "next")
        label = "" if label == "next" and not step_stats else label
        if step_stats:
            label = f"{label} ({count})" if label and label != "next" else f"{count}"
            if compact and journey.graph.out_degree(source) == 1 and count == step_stats.get(source, {}).get("visits"):
                label = ""  # the only way on, taken by every probe that got here: the step's own figures say it
        # in a wrapped map only the edges along an even (left-to-right) row place the steps; the rest just connect them
        placing = {} if place is None or place.leads(source, target) else {"constraint": "false"}
        dot.edge(source, target, label=label, penwidth=str(1 + min(count, 20) / 5) if count else "1",
                 color="#333333" if count or not step_stats else "#bbbbbb", style="solid" if count or not step_stats else "dashed",
                 **placing)
    if place is not None:
        place.pin(dot)
    return dot


def _label(step: Any, stats: Mapping[str, Any], measured: bool) -> tuple[list[str], str, str]:
    """The full label (step, what it does or expects, figures), fill colour and style of a step's box."""
    lines = [step.id]
    if step.is_action:
        lines.append(f"{step.do} ({step.channel})")
        if measured:
            lines.append(f"{stats.get('visits', 0)} probe(s)")
        return lines, BLUE if stats.get("visits", 0) or not measured else GREY, "filled"
    passed, failed = stats.get("passed", 0), stats.get("failed", 0)
    deadline = f" within {step.deadline_text}" if step.within else ""
    lines.append(f"{step.expect}{deadline}")
    if passed + failed:
        lines.append(f"{passed}/{passed + failed} passed")
    if stats.get("median_latency_ns") is not None:
        lines.append(f"median {spoken_duration(stats['median_latency_ns'])}" + (f" / {step.deadline_text}" if step.within else ""))
    return lines, colour_for(passed, failed) if measured else "#ffffff", "rounded,filled"


def _compact_label(step: Any, stats: Mapping[str, Any], measured: bool) -> tuple[list[str], str, str]:
    """Two lines: the step, then 'chat · 5 probes' for an action, '4/5 · 2 min / 5 min' (passed, median / deadline) for
    an expectation."""
    _, fill, style = _label(step, stats, measured)
    if step.is_action:
        return [step.id, f"{step.channel}" + (f" · {stats.get('visits', 0)} probes" if measured else "")], fill, style
    passed, failed = stats.get("passed", 0), stats.get("failed", 0)
    deadline = (step.deadline_text if getattr(step, "business", None) else spoken_duration(step.within)) if step.within else ""
    median = stats.get("median_latency_ns")
    figures = [f"{passed}/{passed + failed}" if passed + failed else "not judged"]
    if median is not None or deadline:
        figures.append(f"{spoken_duration(median) if median is not None else '—'} / {deadline}" if deadline else spoken_duration(median))
    return [step.id, " · ".join(figures)], fill, style


@dataclass(frozen=True, slots=True)
class Snake:
    """Where each step goes in a map wrapped into rows: its row and column. Rows alternate direction (left to right,
    then right to left), so that the edge from one row to the next is a short drop, not a line across the map."""

    row: dict[str, int]
    column: dict[str, int]
    columns: int

    def leads(self, source: str, target: str) -> bool:
        """Whether the edge source→target places the steps: forward along one left-to-right row."""
        return self.row[source] == self.row[target] and self.row[source] % 2 == 0 and self.column[target] > self.column[source]

    def pin(self, dot: graphviz.Digraph) -> None:
        """Each column's steps on one rank (rankdir LR: one x), rows in order downwards, columns in order rightwards."""
        by_column: dict[int, list[str]] = {}
        for step_id, column in self.column.items():
            by_column.setdefault(column, []).append(step_id)
        for column in sorted(by_column):
            members = sorted(by_column[column], key=lambda s: self.row[s])
            with dot.subgraph() as same:
                same.attr(rank="same")
                for step_id in members:
                    same.node(step_id)
            for upper, lower in zip(members, members[1:], strict=False):
                dot.edge(upper, lower, style="invis")
        firsts = [min((s for s in by_column[c] if self.row[s] == 0), default=None) for c in sorted(by_column)]
        for left, right in zip(firsts, firsts[1:], strict=False):
            if left is not None and right is not None:
                dot.edge(left, right, style="invis")


def ranks(journey: Journey) -> dict[str, int]:
    """Each step's column in the unwrapped map: the longest path to it along edges that go forward in file order
    (an edge back, a loop, places nothing)."""
    order = {step.id: i for i, step in enumerate(journey.steps)}
    rank: dict[str, int] = {}
    for step in journey.steps:
        earlier = [rank[s] + 1 for s in journey.graph.predecessors(step.id) if order[s] < order[step.id]]
        rank[step.id] = max(earlier, default=0)
    return rank


def snake(journey: Journey, columns: int) -> Snake:
    """The journey's steps wrapped into rows of `columns`, alternating direction."""
    columns = max(1, columns)
    rank = ranks(journey)
    row = {s: r // columns for s, r in rank.items()}
    column = {s: (r % columns if row[s] % 2 == 0 else columns - 1 - r % columns) for s, r in rank.items()}
    return Snake(row, column, columns)


def render_svg(journey: Journey, step_stats: Mapping[str, Mapping[str, Any]] | None = None, edge_stats: Mapping[tuple[str, str], int] | None = None) -> str:
    """The journey map as SVG text (needs graphviz's `dot`, from Debian's graphviz package)."""
    return build_graph(journey, step_stats, edge_stats).pipe(format="svg").decode("utf-8")


#: The smallest text of a map on a scorecard page, in CSS pixels: the page's stated minimum (tests/test_onepager_layout.py
#: measures it in Chromium). The one-pager's other small print (sources, trend dates) is 8 px too.
PAGE_TEXT_PX = 8.0
_SIZE = re.compile(r'<svg width="[\d.]+pt" height="[\d.]+pt"\s+viewBox="[\d.]+ [\d.]+ ([\d.]+) ([\d.]+)"')


def page_svg(
    journey: Journey, step_stats: Mapping[str, Mapping[str, Any]] | None = None, edge_stats: Mapping[tuple[str, str], int] | None = None,
    *, width_px: float, text_px: float = PAGE_TEXT_PX,
) -> str:
    """The map as a page shows it (no title: the page prints it): drawn at the one scale that makes its smallest text
    `text_px` CSS pixels, and wrapped into rows of fewer steps (see `snake`) until it is at most `width_px` wide.

    The SVG's width and height are set in px at that scale, so the page never shrinks it below a readable size; a map
    still too wide (one step wider than the page) is left for the page to scroll in its own box.
    """
    return page_svgs([(journey, step_stats or {}, edge_stats or {})], width_px=width_px, text_px=text_px)[0]


Figures = tuple[Journey, Mapping[str, Mapping[str, Any]], Mapping[tuple[str, str], int]]


def page_svgs(maps: Sequence[Figures], *, width_px: float, text_px: float = PAGE_TEXT_PX) -> list[str]:
    """`page_svg` of many maps (journey, step figures, edge figures): each round of drawing is one `dot` process for
    all the maps still too wide, so a league's hundred maps take two or three processes, not hundreds."""
    scale = text_px / min(NODE_SIZE, EDGE_SIZE)
    columns: list[int | None] = [None] * len(maps)
    done: dict[int, str] = {}
    pending = list(range(len(maps)))
    while pending:
        sources = [build_graph(maps[i][0], maps[i][1], maps[i][2], columns=columns[i], title=False, compact=True).source for i in pending]
        again = []
        for i, svg in zip(pending, _draw(sources), strict=True):
            size = _SIZE.search(svg)
            if size is None:  # graphviz wrote another unit: leave the SVG as drawn
                done[i] = svg
                continue
            width, height = float(size.group(1)), float(size.group(2))
            wrap = columns[i] or max(ranks(maps[i][0]).values(), default=0) + 1
            if width * scale <= width_px or wrap <= 2:
                # sized from the viewBox (graphviz rounds its width and height in pt) and rounded up: the drawn scale is
                # never below `scale`, so no label is below `text_px`
                box = size.group(0)[size.group(0).index("viewBox"):]
                done[i] = _SIZE.sub(f'<svg width="{math.ceil(width * scale * 10) / 10}px" height="{math.ceil(height * scale * 10) / 10}px" {box}',
                                    svg, count=1)
            else:  # steps are about equally wide: aim at the width, then one column fewer each round
                columns[i] = max(2, min(wrap - 1, int(wrap * width_px / (width * scale))))
                again.append(i)
        pending = again
    return [done[i] for i in range(len(maps))]


def _draw(sources: Sequence[str]) -> list[str]:
    """SVG texts (from `<svg`, no XML prologue) of graphviz `sources`, drawn by one `dot` process."""
    if not sources:
        return []
    text = graphviz.pipe("dot", "svg", "\n".join(sources).encode("utf-8")).decode("utf-8")
    svgs = [part[part.index("<svg"):] for part in re.split(r"(?=<\?xml )", text) if "<svg" in part]
    if len(svgs) != len(sources):  # one document per graph, each with its prologue; anything else: one process each
        svgs = [_draw([source])[0] for source in sources] if len(sources) > 1 else svgs
    return svgs


def render(journey: Journey, fmt: str = "svg", step_stats: Mapping[str, Mapping[str, Any]] | None = None, edge_stats: Mapping[tuple[str, str], int] | None = None) -> bytes:
    """The journey map as svg, png or pdf bytes."""
    if fmt not in ("svg", "png", "pdf"):
        raise ValueError(f"unknown map format '{fmt}'. Valid formats: pdf, png, svg")
    return build_graph(journey, step_stats, edge_stats).pipe(format=fmt)
