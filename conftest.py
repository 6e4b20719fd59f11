"""Root conftest: makes the mysteryshop plugin available to probes/ even without `pip install`.

When the package is installed, its pytest11 entry point has registered the plugin already.
"""

import pytest


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.has_plugin("mysteryshop") and not config.pluginmanager.has_plugin("mysteryshop.plugin"):
        config.pluginmanager.import_plugin("mysteryshop.plugin")
