"""`mysteryshop serve`: read-only pages over the run store (Starlette; served by uvicorn).

    /                                   the runs: date, status, companies, journeys, grade, n
    /companies, /companies/<name>       the companies, and one company's history with dated trends (?journey=)
    /runs/<id>/                         a run's one-pager (the static onepager.html, server-rendered)
    /runs/<id>/scorecard.html           the one-pager and the QA page; ?status=failed&journey=&channel=&company=&q=&from=
                                        choose the probes it shows (500 at a time) before its own filters narrow them
    /runs/<id>/companies/<name>.html    a company's page in a run of several
    /runs/<id>/maps                     the run's journey maps, and each company's
    /runs/<id>/messages/<ref>.eml       a message's raw bytes; /runs/<id>/browser/... what the browser kept
    /runs/<id>/scorecard.json           the run's scorecard
    /waves                              the scheduled waves, each with the runs it started (each compared with the one before)
    /compare?a=RUN&b=RUN                two runs compared, as `mysteryshop compare`
    /compare/companies?a=CO&b=CO        two companies compared (their latest runs, or ?run_a= / ?run_b=)

The pages are the static scorecard's templates, rendered from the card `mysteryshop report` builds (kept per run:
dashboard/cards.py). Every response carries a strict Content-Security-Policy: nothing from the network, no script but
the QA page's own (by its hash), no framing.
"""

from __future__ import annotations

import mimetypes
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import orjson
from jinja2 import ChoiceLoader, PackageLoader
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mysteryshop.dashboard import views
from mysteryshop.dashboard.auth import TokenRequired
from mysteryshop.dashboard.cards import Built, Cards, Purged, UnknownRun, Unscorable
from mysteryshop.scorecard import write
from mysteryshop.scorecard.companies import PAGES_DIR, by_company, company_card, page_name
from mysteryshop.store import Store
from mysteryshop.store_reads import companies, company_runs, message_index, message_raw, run_rows, wave_runs

#: The dashboard's own pages (no script at all).
PAGE_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data: 'self'; base-uri 'none'; form-action 'self'; "
            "frame-ancestors 'none'")
#: Probes the QA page shows at a time (as the static page: write.DETAIL_LIMIT).
QA_PAGE_SIZE = write.DETAIL_LIMIT


@dataclass(frozen=True, slots=True)
class DashboardConfig:
    """What the dashboard reads: the store, the journey files the runs are scored with, the reports folder (browser
    evidence), the rubric, and the gate's tolerances and level for comparisons."""

    store: Store
    journeys_dir: Path
    reports_dir: Path
    rubric: Any = None
    tolerance: Callable[[str], float | str] = lambda key: 0.10 if key.endswith(".rate") else ("25%" if key.endswith("_s") else 5)
    alpha: float = 0.05
    token: str | None = None


def scorecard_policy(*, script: bool) -> str:
    """A scorecard page's CSP as the dashboard serves it: the static page's (write.csp), its own GET forms allowed."""
    return write.csp(script=script).replace("form-action 'none'", "form-action 'self'")


def _environment() -> Any:
    return write.environment().overlay(loader=ChoiceLoader([PackageLoader("mysteryshop.dashboard", "templates"),
                                                           PackageLoader("mysteryshop.scorecard", "templates")]))


class Dashboard:
    """The dashboard's request handlers over one store."""

    def __init__(self, config: DashboardConfig) -> None:
        self.config = config
        self.cards = Cards(config.store, config.journeys_dir, config.rubric)
        self.env = _environment()

    # -- helpers ---------------------------------------------------------------------------------------------------
    def _page(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        html = self.env.get_template(template).render(csp=PAGE_CSP, **context)
        return HTMLResponse(html, status_code=status, headers={"content-security-policy": PAGE_CSP})

    def _built(self, run_id: str) -> Built:
        try:
            return self.cards.get(run_id)
        except UnknownRun:
            latest = ", ".join(r.id for r in run_rows(self.config.store)[:5]) or "(none)"
            # the store's location is not said: a PostgreSQL URL may hold a password, a path says where files are
            raise HTTPException(404, f"no run '{run_id}' in the store; latest runs: {latest}") from None
        except Purged as exc:
            raise HTTPException(410, str(exc)) from None
        except Unscorable as exc:
            raise HTTPException(500, str(exc)) from None

    def _nav(self, built: Built, here: str) -> Markup:
        return Markup(self.env.get_template("_nav.html").render(run=built.card["run"], here=here))

    def _scorecard(self, html: str, *, script: bool) -> HTMLResponse:
        return HTMLResponse(html, headers={"content-security-policy": scorecard_policy(script=script) + "; frame-ancestors 'none'"})

    # -- the run list, companies, history ----------------------------------------------------------------------------
    def runs(self, request: Request) -> Response:
        rows = run_rows(self.config.store)
        return self._page("runs.html", runs=rows, title="Runs")

    def companies(self, request: Request) -> Response:
        return self._page("companies.html", companies=companies(self.config.store), title="Companies")

    def company(self, request: Request) -> Response:
        name = request.path_params["name"]
        runs = company_runs(self.config.store, name)
        if not runs:
            known = ", ".join(companies(self.config.store)) or "(none)"
            raise HTTPException(404, f"no run in the store probed a company '{name}'; companies: {known}")
        journey = request.query_params.get("journey") or None
        journeys = sorted({j for r in runs for j in r.journeys})
        if journey is not None and journey not in journeys:
            raise HTTPException(404, f"company '{name}' was never probed on a journey '{journey}'; its journeys: {', '.join(journeys)}")
        points = views.company_points(runs, name, journey)
        return self._page("company.html", title=f"Company {name}", name=name, journey=journey, journeys=journeys, points=points,
                          rows=views.history_rows(points), axis=views.history_axis(points), unfinished=[r for r in runs if not r.summary])

    def waves(self, request: Request) -> Response:
        from mysteryshop.waves import waves

        schedules = [(w, wave_runs(self.config.store, w.name)) for w in waves(self.config.store)]
        return self._page("waves.html", title="Scheduled waves", schedules=schedules)

    # -- one run ---------------------------------------------------------------------------------------------------
    def run_redirect(self, request: Request) -> Response:
        return RedirectResponse(f"/runs/{request.path_params['run_id']}/", status_code=308)

    def overview(self, request: Request) -> Response:
        built = self._built(request.path_params["run_id"])
        html = built.page("overview", lambda: write.render_html(built.card, maps=self._maps(built), detail=False,
                                                               nav=self._nav(built, "overview"), policy=scorecard_policy(script=False)))
        return self._scorecard(html, script=False)

    def _maps(self, built: Built) -> dict[str, str | None]:
        return built.page("maps", lambda: write.journey_maps(built.card, built.journeys))

    def qa(self, request: Request) -> Response:
        built = self._built(request.path_params["run_id"])
        q = request.query_params
        filters = {k: q.get(k, "").strip() for k in ("status", "journey", "channel", "company", "q")}
        try:
            start = max(0, int(q.get("from") or 0))
        except ValueError:
            raise HTTPException(400, f"from={q.get('from')!r}: give the number of the first probe to show (0, 500, ...)") from None
        key = ("qa", *filters.values(), start)
        return self._scorecard(built.page(key, lambda: self._qa_page(built, filters, start)), script=True)

    def _qa_page(self, built: Built, filters: dict[str, str], start: int) -> str:
        card = built.card
        chosen = any(filters.values()) or start
        if chosen:
            found = [p for p in card["probes"] if views.matches(p, status=filters["status"], journey=filters["journey"],
                                                                 channel=filters["channel"], company=filters["company"], text=filters["q"])]
            shown = found[start:start + QA_PAGE_SIZE]
        else:
            found = card["probes"]
            shown = write.detail_probes(card)
        evidence = self._evidence(built, shown)
        probes = card["probes"]
        nav = self._nav(built, "qa") + Markup(self.env.get_template("_qa_server.html").render(
            filters=filters, total=len(probes), found=len(found), start=start, shown=len(shown), chosen=chosen, size=QA_PAGE_SIZE,
            journeys=sorted({p["journey"] for p in probes}), channels=sorted({p["channel"] for p in probes}),
            companies=sorted({p["target"] for p in probes}), statuses=sorted({p["status"] for p in probes}),
            next_link="?" + urlencode({**{k: v for k, v in filters.items() if v}, "from": start + QA_PAGE_SIZE}),
            previous_link="?" + urlencode({**{k: v for k, v in filters.items() if v}, "from": max(0, start - QA_PAGE_SIZE)})))
        return write.render_html(card, maps=self._maps(built), shown=shown, evidence=evidence, files={"json": "scorecard.json"}, nav=nav,
                                 policy=scorecard_policy(script=True))

    def _evidence(self, built: Built, shown: list[Any]) -> dict[str, Any]:
        """What the QA page links for the probes it shows (as evidence.page_evidence, the files served, not written)."""
        from mysteryshop.scorecard.evidence import MESSAGES_DIR, browser_evidence, eml_name

        run_id = built.run_id
        root = self.config.reports_dir / run_id
        browser = {p["id"]: found.as_dict() for p in shown if (found := browser_evidence(root, p["id"], root)) is not None}
        eml: dict[int, str] = {}
        sent: dict[str, list[dict[str, Any]]] = {}
        for ref, probe_id, direction, utc, subject, rcpt_to in message_index(self.config.store, run_id, [p["id"] for p in shown]):
            eml[ref] = f"{MESSAGES_DIR}/{eml_name(ref)}"
            if direction == "out" and probe_id is not None:
                sent.setdefault(probe_id, []).append({"ref": ref, "href": eml[ref], "utc": utc, "subject": subject or "", "to": rcpt_to})
        return {"browser": browser, "eml": eml, "sent": sent}

    def company_page(self, request: Request) -> Response:
        built = self._built(request.path_params["run_id"])
        card = built.card
        wanted = f"{PAGES_DIR}/{request.path_params['page']}"
        name = next((n for n in card.get("companies") or () if page_name(n) == wanted), None) if len(card.get("companies") or ()) > 1 else None
        if name is None:
            raise HTTPException(404, f"run {built.run_id} has no company page '{wanted}' (a run of several companies has one per "
                                     f"company); its companies: {', '.join(card.get('companies') or ())}")

        def make() -> str:
            groups = by_company(card["probes"])
            maps = built.page("company-maps", lambda: write.company_maps(card, built.journeys, groups))
            return write.render_html(company_card(card, name, groups.get(name, [])), maps=maps[name], detail=False,
                                     nav=self._nav(built, "company"), policy=scorecard_policy(script=False))
        return self._scorecard(built.page(("company", name), make), script=False)

    def maps(self, request: Request) -> Response:
        built = self._built(request.path_params["run_id"])
        card = built.card
        several = len(card.get("companies") or ()) > 1
        company = built.page("company-maps", lambda: write.company_maps(card, built.journeys, by_company(card["probes"]))) if several else {}
        return self._page("maps.html", title=f"Journey maps of run {built.run_id}", card=card, maps=self._maps(built), company_maps=company,
                          nav=self._nav(built, "maps"))

    def card_json(self, request: Request) -> Response:
        built = self._built(request.path_params["run_id"])
        body = built.page("json", lambda: orjson.dumps(built.card, default=str))
        return Response(body, media_type="application/json")

    def message(self, request: Request) -> Response:
        run_id = request.path_params["run_id"]
        self._built(run_id)  # an unknown run is 404 with its reason
        ref = request.path_params["ref"]
        raw = message_raw(self.config.store, run_id, ref)
        if raw is None:
            raise HTTPException(404, f"run {run_id} holds no message {ref}")
        return Response(raw, media_type="message/rfc822", headers={"content-disposition": f'attachment; filename="{ref}.eml"'})

    def browser_file(self, request: Request) -> Response:
        run_id = request.path_params["run_id"]
        self._built(run_id)
        root = (self.config.reports_dir / run_id / "browser").resolve()
        path = (root / request.path_params["path"]).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            raise HTTPException(404, f"run {run_id} kept no browser file '{request.path_params['path']}'")
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        # the page snapshots are the company's HTML: downloaded, never shown as a page of this origin
        disposition = "inline" if kind == "image/png" else f'attachment; filename="{path.name}"'
        return Response(path.read_bytes(), media_type=kind if kind == "image/png" else "application/octet-stream",
                        headers={"content-disposition": disposition})

    # -- comparisons -----------------------------------------------------------------------------------------------
    def compare_runs(self, request: Request) -> Response:
        a, b = request.query_params.get("a", ""), request.query_params.get("b", "")
        rows = run_rows(self.config.store)
        if not a or not b:
            return self._page("compare_runs.html", title="Compare two runs", runs=rows, a=a, b=b, result=None)
        before, after = self._built(a), self._built(b)
        result = views.compared(views.side(before.card, a), views.side(after.card, b), self.config.tolerance, self.config.alpha)
        return self._page("compare_runs.html", title=f"{a} → {b}", runs=rows, a=a, b=b, result=result,
                          cards={"a": before.card, "b": after.card})

    def compare_companies(self, request: Request) -> Response:
        q = request.query_params
        a, b = q.get("a", ""), q.get("b", "")
        known = companies(self.config.store)
        if not a or not b:
            return self._page("compare_companies.html", title="Compare two companies", companies=known, a=a, b=b, result=None)
        sides = {}
        for key, name in (("a", a), ("b", b)):
            runs = [r for r in company_runs(self.config.store, name) if r.summary]
            if not runs:
                raise HTTPException(404, f"no finished run probed a company '{name}'; companies: {', '.join(known) or '(none)'}")
            run_id = q.get(f"run_{key}") or runs[-1].id
            built = self._built(run_id)
            if name not in (built.card.get("companies") or {}):
                raise HTTPException(404, f"run {run_id} did not probe '{name}'; runs that did: {', '.join(r.id for r in runs)}")
            view = company_card(built.card, name)
            sides[key] = {**views.side(view, f"{name} ({run_id})"), "name": name, "run": run_id,
                          "title": (built.card["targets"].get(name) or {}).get("title") or name}
        result = views.compared(sides["a"], sides["b"], self.config.tolerance, self.config.alpha)
        return self._page("compare_companies.html", title=f"{a} vs {b}", companies=known, a=a, b=b, result=result, sides=sides)

    # -- errors ----------------------------------------------------------------------------------------------------
    async def http_error(self, request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 500)
        reason = getattr(exc, "detail", None) or "error"
        if status == 404 and reason == "Not Found":
            reason = f"no page at {request.url.path}; the dashboard's pages start at /"
        if "text/html" in request.headers.get("accept", ""):
            return self._page("error.html", status, title=f"{status}", code=status, reason=reason)
        return PlainTextResponse(f"{status}: {reason}\n", status_code=status, headers={"content-security-policy": PAGE_CSP})


class ServerTiming:
    """ASGI middleware: each response says how long the server took to start it (`Server-Timing: app;dur=<ms>`), and
    carries the headers every page of the dashboard has (no sniffing, no referrer, not framed)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def timed(message: Message) -> None:
            if message["type"] == "http.response.start":
                took = (time.perf_counter() - started) * 1000
                message["headers"] = [*message.get("headers", []), (b"server-timing", f"app;dur={took:.2f}".encode()),
                                      (b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"),
                                      (b"x-frame-options", b"DENY"), (b"cache-control", b"no-store")]
            await send(message)

        await self.app(scope, receive, timed)


def create_app(config: DashboardConfig) -> ASGIApp:
    """The dashboard as an ASGI app (behind the token when `config.token` is set)."""
    d = Dashboard(config)
    routes = [
        Route("/", d.runs), Route("/companies", d.companies), Route("/companies/{name}", d.company),
        Route("/waves", d.waves), Route("/compare", d.compare_runs), Route("/compare/companies", d.compare_companies),
        Route("/runs/{run_id}", d.run_redirect), Route("/runs/{run_id}/", d.overview), Route("/runs/{run_id}/onepager.html", d.overview),
        Route("/runs/{run_id}/scorecard.html", d.qa), Route("/runs/{run_id}/maps", d.maps),
        Route("/runs/{run_id}/companies/{page}", d.company_page), Route("/runs/{run_id}/scorecard.json", d.card_json),
        Route("/runs/{run_id}/messages/{ref:int}.eml", d.message), Route("/runs/{run_id}/browser/{path:path}", d.browser_file),
    ]
    app: ASGIApp = Starlette(routes=routes, exception_handlers={HTTPException: d.http_error, 404: d.http_error})
    if config.token is not None:
        app = TokenRequired(app, config.token)
    return ServerTiming(app)
