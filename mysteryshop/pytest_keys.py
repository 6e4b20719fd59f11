"""Where the pytest plugin keeps a session's run on pytest's config (its stash), for the plugin and the progress line."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from mysteryshop.session import RunConfig, RunSession
    from mysteryshop.shards import PartEnd
    from mysteryshop.store import Store
    from mysteryshop.workers import LostWorker

CONFIG_KEY: pytest.StashKey[RunConfig] = pytest.StashKey()
SESSION_KEY: pytest.StashKey[RunSession] = pytest.StashKey()
OPTIONS_KEY: pytest.StashKey[dict[str, Any]] = pytest.StashKey()
START_ERROR_KEY: pytest.StashKey[str] = pytest.StashKey()  # why the run did not start
PART_KEY: pytest.StashKey[PartEnd] = pytest.StashKey()  # what ending this share of a sharded run did (shards.end_part)
READER_KEY: pytest.StashKey[Store] = pytest.StashKey()  # an xdist worker's store, to read the results of the probes others run
LOST_KEY: pytest.StashKey[list[LostWorker]] = pytest.StashKey()  # xdist workers that died, and the probes lost with them
SINCE_KEY: pytest.StashKey[str] = pytest.StashKey()  # when an xdist controller's session began (UTC), for its workers
