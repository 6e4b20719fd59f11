"""`mysteryshop serve`: the dashboard (mysteryshop/dashboard) over the run store, served by uvicorn."""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys

from mysteryshop.cli.common import add_common_options, fail, load_cli_settings, open_store

SERVE_EXAMPLES = """examples:
  mysteryshop serve                                 http://127.0.0.1:8765/ : every run, company and comparison
  mysteryshop serve --port 9000
  MYSTERYSHOP_DASHBOARD_TOKEN=$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))') \\
    mysteryshop serve --host 0.0.0.0                for the team: every request needs the token

Bound to loopback (the default) anyone on this machine may read it. Bound elsewhere it refuses to start
without a token (--token or MYSTERYSHOP_DASHBOARD_TOKEN, at least 16 characters); requests then carry
'Authorization: Bearer TOKEN', or open http://HOST:PORT/?token=TOKEN once (kept in an HttpOnly cookie).
Read-only: the dashboard never writes to the store.
"""


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from mysteryshop.dashboard.app import DashboardConfig, create_app
    from mysteryshop.dashboard.auth import TOKEN_ENV, token_problem
    from mysteryshop.scorecard.rubric import load_rubric

    token = args.token if args.token is not None else os.environ.get(TOKEN_ENV) or None
    problem = token_problem(args.host, token)
    if problem:
        return fail(f"mysteryshop serve --host {args.host}: {problem}")
    settings = load_cli_settings(args)
    rubric = load_rubric(settings.rubric_file)
    store = open_store(settings)
    config = DashboardConfig(store=store, journeys_dir=settings.path(settings.journeys), reports_dir=settings.path(settings.reports),
                             rubric=rubric, tolerance=settings.tolerance, alpha=settings.significance, token=token)
    where = f"http://{args.host if ':' not in args.host else f'[{args.host}]'}:{args.port}/"
    store_name = re.sub(r"//[^/@]*@", "//", str(settings.store_file))  # a PostgreSQL URL's user and password left out
    print(f"mysteryshop dashboard: {where} over {store_name}" + (" (token required)" if token else ""), flush=True)
    # uvicorn stops on SIGINT / SIGTERM and raises the signal again once stopped: here that is the end, as for a service
    # (exit 0), not the interruption of a run that mysteryshop's own handler (interrupt.handled) would report
    previous = {sig: signal.signal(sig, lambda *_: None) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        uvicorn.run(create_app(config), host=args.host, port=args.port, log_level=args.log_level, access_log=args.log_level == "info")
    except OSError as exc:  # uvicorn logs a port in use and exits; anything else it raises
        return fail(f"mysteryshop serve: cannot listen on {args.host}:{args.port}: {exc}")
    except SystemExit as exc:
        if exc.code:
            print(f"error: mysteryshop serve: could not listen on {args.host}:{args.port} (in use? pass --port)", file=sys.stderr)
            return 2
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        store.close()
    print("mysteryshop dashboard: stopped", flush=True)
    return 0


def add_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser("serve", help="the dashboard: runs, company histories, scorecards, comparisons, journey maps (read-only web pages)",
                                 description="Serve read-only web pages over the run store.", epilog=SERVE_EXAMPLES,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1: this machine only; any other needs a token)")
    parser.add_argument("--port", type=int, default=8765, help="port to listen on (default 8765)")
    parser.add_argument("--token", default=None,
                        help="the token every request must carry (default: $MYSTERYSHOP_DASHBOARD_TOKEN); required to bind beyond loopback")
    parser.add_argument("--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"],
                        help="uvicorn's log level (info: one line per request)")
    add_common_options(parser)
    parser.set_defaults(func=serve)
