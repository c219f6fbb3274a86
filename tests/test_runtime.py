"""The serving process's collector pace (``cli/runtime.py``): slower, never off."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from ocpi_gateway.cli.runtime import YOUNG_THRESHOLD, pace_garbage_collector


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
    assert gc.get_threshold()[0] == YOUNG_THRESHOLD
    assert gc.isenabled()


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
