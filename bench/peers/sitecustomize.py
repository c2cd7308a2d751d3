"""Loaded by the peers' Python (bench/peers is first on their PYTHONPATH): trust jiraemu's self-signed
certificate. Both peers build their own ``requests`` sessions and some code paths ignore
``REQUESTS_CA_BUNDLE``, so every Session starts with ``verify`` set to the certificate."""

import os

_CERT = os.environ.get("JIRASYNC_BENCH_CA")
if _CERT:
    try:
        import requests

        _init = requests.Session.__init__

        def _session_init(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            _init(self, *args, **kwargs)
            self.verify = _CERT

        requests.Session.__init__ = _session_init  # type: ignore[method-assign]
        _merge = requests.Session.merge_environment_settings

        def _merge_env(self, url, proxies, stream, verify, cert):  # type: ignore[no-untyped-def]
            settings = _merge(self, url, proxies, stream, verify, cert)
            if settings.get("verify") in (True, None):
                settings["verify"] = _CERT
            return settings

        requests.Session.merge_environment_settings = _merge_env  # type: ignore[method-assign]
    except ImportError:  # a venv without requests: nothing to patch
        pass
