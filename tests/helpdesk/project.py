"""A mysteryshop project pointed at a running Roundup desk: the shipped target file with the desk's ports in it."""

from __future__ import annotations

from pathlib import Path

from tests.helpdesk.roundup_desk import RunningDesk

ROOT = Path(__file__).resolve().parents[2]
JOURNEYS = ("roundup_email.yaml", "roundup_webform.yaml")
PROBES = '''import pytest


@pytest.mark.journey("roundup_email")
def test_email(probe):
    probe.check()


@pytest.mark.journey("roundup_webform")
def test_webform(probe):
    probe.check()
'''


def write_project(root: Path, desk: RunningDesk, reply_port: int, *, within: str | None = None) -> Path:
    """journeys/targets/roundup.yaml as shipped, only its three ports changed; the roundup journeys (their deadlines
    set to `within` when given); a probe module walking both; an empty [tool.mysteryshop]."""
    shipped = (ROOT / "journeys/targets/roundup.yaml").read_text()
    web_port = desk.addresses.web.split(":")[2].split("/")[0]
    target = (shipped.replace("port: 2527", f"port: {reply_port}").replace("smtp_port: 2528", f"smtp_port: {desk.intake[1]}")
              .replace("127.0.0.1:8917", f"127.0.0.1:{web_port}"))
    if f"port: {reply_port}" not in target or f"smtp_port: {desk.intake[1]}" not in target or f"127.0.0.1:{web_port}/" not in target:
        raise AssertionError(f"journeys/targets/roundup.yaml no longer names ports 2527, 2528 and 8917 where expected:\n{shipped}")
    (root / "journeys/targets").mkdir(parents=True)
    (root / "probes").mkdir()
    (root / "pyproject.toml").write_text("[tool.mysteryshop]\n")
    (root / "journeys/targets/roundup.yaml").write_text(target)
    for name in JOURNEYS:
        text = (ROOT / "journeys" / name).read_text()
        (root / "journeys" / name).write_text(text.replace("within: 15s", f"within: {within}") if within else text)
    (root / "probes/test_roundup.py").write_text(PROBES)
    return root
