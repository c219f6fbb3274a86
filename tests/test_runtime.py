"""The serving process's collector pace (``cli/runtime.py``): slower, never off."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from ocpi_gateway.cli.runtime import OLDER_THRESHOLDS, YOUNG_THRESHOLD, pace_garbage_collector


@pytest.fixture
def paced() -> Iterator[None]:
    before = gc.get_threshold()
    pace_garbage_collector()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def test_start_up_objects_are_frozen_and_the_young_generation_is_collected_rarely(paced: None) -> None:
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == (YOUNG_THRESHOLD, *OLDER_THRESHOLDS)
    assert gc.isenabled()


def test_a_burst_of_long_lived_objects_is_walked_in_small_passes(paced: None) -> None:
    """What survives young passes (a fleet's objects, all at once) reaches the middle generation in
    batches of at most two young passes, never twenty: each middle pass, a stop of the process,
    walks a bounded number of objects."""
    walked: list[int] = []

    def note(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and info["generation"] == 1:
            walked.append(gc.get_count()[1])  # young passes since the last middle one

    kept = []
    gc.callbacks.append(note)
    try:
        for _ in range(10):
            kept.append([[] for _ in range(YOUNG_THRESHOLD)])  # long-lived containers, a young pass' worth
    finally:
        gc.callbacks.remove(note)
    assert walked
    assert max(walked) <= OLDER_THRESHOLDS[0] + 1
    del kept


def test_cyclic_garbage_made_while_serving_is_still_collected(paced: None) -> None:
    """A cycle (which reference counting cannot free) goes once enough objects were allocated."""
    a, b = Node(), Node()
    a.other, b.other = b, a
    gone = weakref.ref(a)
    del a, b
    assert gone() is not None  # only the collector frees a cycle
    keep = [{} for _ in range(3 * YOUNG_THRESHOLD)]  # allocations drive the young generation
    assert gone() is None
    del keep
