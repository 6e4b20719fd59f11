"""The journey map: a journey's graph drawn with graphviz, coloured by what the probes lived through.

Each expectation is coloured by its pass rate over every probe of a run and labelled with the
figures (passed/total, median time against the deadline); each edge shows how many probes took
it. Actions are drawn as boxes, expectations as rounded boxes, and unvisited steps in grey.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import graphviz

from mysteryshop.durations import format_duration
from mysteryshop.journey import Journey

GREEN, AMBER, RED, GREY, BLUE = "#c8e6c9", "#ffe9a8", "#ffcdd2", "#eeeeee", "#dbe9f6"
BORDER = {GREEN: "#2e7d32", AMBER: "#b58900", RED: "#c62828", GREY: "#9e9e9e", BLUE: "#1f5f99"}


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


def build_graph(journey: Journey, step_stats: Mapping[str, Mapping[str, Any]] | None = None, edge_stats: Mapping[tuple[str, str], int] | None = None) -> graphviz.Digraph:
    step_stats = step_stats or {}
    edge_stats = edge_stats or {}
    dot = graphviz.Digraph(journey.name, graph_attr={"rankdir": "LR", "fontname": "Helvetica", "label": journey.title, "labelloc": "t"})
    dot.attr("node", fontname="Helvetica", fontsize="11", style="filled")
    dot.attr("edge", fontname="Helvetica", fontsize="9")
    for step in journey.steps:
        stats = step_stats.get(step.id, {})
        visits = stats.get("visits", 0)
        lines = [step.id]
        if step.is_action:
            lines.append(f"{step.do} ({step.channel})")
            fill = BLUE if visits or not step_stats else GREY
            if step_stats:
                lines.append(f"{visits} probe(s)")
            shape, style = "box", "filled"
        else:
            passed, failed = stats.get("passed", 0), stats.get("failed", 0)
            deadline = f" within {step.deadline_text}" if step.within else ""
            lines.append(f"{step.expect}{deadline}")
            if passed + failed:
                lines.append(f"{passed}/{passed + failed} passed")
            if stats.get("median_latency_ns") is not None:
                lines.append(f"median {format_duration(stats['median_latency_ns'])}" + (f" / {step.deadline_text}" if step.within else ""))
            fill = colour_for(passed, failed) if step_stats else "#ffffff"
            shape, style = "box", "rounded,filled"
        dot.node(step.id, label="\n".join(lines), shape=shape, style=style, fillcolor=fill, color=BORDER.get(fill, "#555555"))
    for source, target, data in journey.graph.edges(data=True):
        count = edge_stats.get((source, target), 0)
        label = data.get("when", "next")
        label = "" if label == "next" and not step_stats else label
        if step_stats:
            label = f"{label} ({count})" if label and label != "next" else f"{count}"
        dot.edge(source, target, label=label, penwidth=str(1 + min(count, 20) / 5) if count else "1",
                 color="#333333" if count or not step_stats else "#bbbbbb", style="solid" if count or not step_stats else "dashed")
    return dot


def render_svg(journey: Journey, step_stats: Mapping[str, Mapping[str, Any]] | None = None, edge_stats: Mapping[tuple[str, str], int] | None = None) -> str:
    """The journey map as SVG text (needs graphviz's `dot`, from Debian's graphviz package)."""
    return build_graph(journey, step_stats, edge_stats).pipe(format="svg").decode("utf-8")


def render_svgs(maps: Sequence[tuple[Journey, Mapping[str, Mapping[str, Any]], Mapping[tuple[str, str], int]]]) -> list[str]:
    """Many journey maps (journey, step figures, edge figures) as SVG texts, drawn by one `dot` process: graphviz
    starts once, not once per map (100 maps in 0.1 s instead of 2 s: a league's company pages)."""
    sources = [build_graph(journey, steps, edges).source for journey, steps, edges in maps]
    if not sources:
        return []
    text = graphviz.pipe("dot", "svg", "\n".join(sources).encode("utf-8")).decode("utf-8")
    svgs = [part for part in re.split(r"(?=<\?xml )", text) if part.strip()]
    if len(svgs) != len(sources):  # one document per graph, each with its prologue; anything else: one process each
        return [render_svg(journey, steps, edges) for journey, steps, edges in maps]
    return svgs


def render(journey: Journey, fmt: str = "svg", step_stats: Mapping[str, Mapping[str, Any]] | None = None, edge_stats: Mapping[tuple[str, str], int] | None = None) -> bytes:
    """The journey map as svg, png or pdf bytes."""
    if fmt not in ("svg", "png", "pdf"):
        raise ValueError(f"unknown map format '{fmt}'. Valid formats: pdf, png, svg")
    return build_graph(journey, step_stats, edge_stats).pipe(format=fmt)
