"""jiraemu: a faithful local Jira (Cloud and Data Center flavours) for offline tests.

Public front::

    from jiraemu import EmuConfig, Backend, create_app, EmulatorServer

``EmulatorServer(config)`` runs the emulator on a free loopback port in a background thread
(real HTTP, used by the test fixtures); ``jiraemu serve`` runs it from the command line.

jiraemu imports nothing from jirasync, and jirasync nothing from it.
"""

from jiraemu.backend import Backend
from jiraemu.config import EmuConfig
from jiraemu.server import EmulatorServer, create_app

__all__ = ["Backend", "EmuConfig", "EmulatorServer", "create_app"]
