"""The CMS hook: ``secscan serve``, an HTTP gate a website calls before a page goes live.

Layout, one job per module:

* ``settings``  — the frozen :class:`ServeSettings` and the token/loopback rules;
* ``gate``      — pure ASGI middleware: bearer token, request size limit, body read timeout;
* ``worker``    — what runs inside a scan process (one :class:`~secscan.Scanner` each);
* ``pool``      — the process pool: admission (503), time limit, crash recovery;
* ``schemas``   — the OpenAPI models of the SPEC's file report;
* ``app``       — the FastAPI application and its routes;
* ``cli``       — the ``secscan serve`` click command.

Nothing here is imported by ``secscan`` itself except ``cli``, which needs only click, so
the core package works without the ``server`` extra.
"""
