"""Process-wide settings of a serving gateway process: the garbage collector's pace.

Why: CPython's cyclic collector runs a young-generation pass every 700 container allocations
and, every hundred of those, walks older objects. A serving gateway allocates thousands of
short-lived objects per request (pydantic models, dicts, futures) and keeps tens of thousands of
long-lived ones (modules, schemas, one websocket and charge point per station), so the collector
took about a fifth of the gateway's CPU in the end-to-end benchmark (docs/benchmarks.md).
Almost none of those objects are in cycles: reference counting frees them. So start-up objects
are frozen (never scanned again) and the young generation is collected every 20,000
allocations: cyclic garbage is still collected, only less often. The price: a start-up object
that is later dropped inside a reference cycle stays in memory, which is bounded by what start-up
made once.

The middle generation is collected after every second young pass (CPython's default is every
tenth): a pass over it walks everything that survived the young passes since the last one, and
a burst of long-lived objects (a station fleet connecting at once, 2,000 stations in the bench)
made one such pass of up to 20 × 20,000 survivors stop the process for 150 to 230 ms, the tail of
every request in flight. Every second pass keeps it to about 40 ms, for the same total collector
time (docs/benchmarks.md). The old generation keeps CPython's rule (a full pass once it grew by a
quarter), checked after every hundredth middle pass.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 20_000
OLDER_THRESHOLDS = (2, 100)  # middle: every 2nd young pass; old: checked every 100th middle one


def pace_garbage_collector() -> None:
    """Freeze what exists now (imports, settings, the app) and collect the young generation rarely."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *OLDER_THRESHOLDS)
