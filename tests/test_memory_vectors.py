"""The in-memory vector index finds what a plain float32 scan finds, to within half precision: small ones by a
float16 scan, large ones by an int8 scan with float16 rescoring."""

from datetime import date, datetime

import numpy as np
import pytest

from os1.memory.dates import Window
from os1.memory.store import Indexed
from os1.memory.vectors import QUANTIZED_FROM, VectorIndex


def unit_rows(count: int, seed: int, dim: int = 384) -> np.ndarray:
    rows = np.random.default_rng(seed).standard_normal((count, dim)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def indexed(rows: np.ndarray, first_id: int = 1) -> Indexed:
    times = np.arange(len(rows), dtype=np.float64)
    return Indexed(list(range(first_id, first_id + len(rows))), rows, times, times)


HALF = 2e-3  # what float16 can move a cosine by (its 11 bits, summed over 384 products in float32)


def assert_float32_answer(
    found: list[tuple[int, float]], rows: np.ndarray, query: np.ndarray, first_id: int = 1
) -> None:
    """Each place of ``found`` holds a record as close to ``query`` as the plain float32 scan's record at that place,
    to within half precision (two records closer than that may swap), with its cosine to within that too."""
    exact = rows @ query
    ids = [record_id for record_id, _ in found]
    best = np.sort(exact)[::-1][: len(found)]
    assert len(set(ids)) == len(ids) == min(len(rows), len(found))
    assert np.allclose(exact[np.array(ids) - first_id], best, atol=HALF)
    assert np.allclose([cosine for _, cosine in found], exact[np.array(ids) - first_id], atol=HALF)


def test_the_int8_scan_returns_the_float32_answer() -> None:
    # Random vectors are the hard case: their cosines crowd together, far closer than real sentences' do.
    rows = unit_rows(20_000, seed=1)
    index = VectorIndex(indexed(rows))
    for query in unit_rows(20, seed=2):
        found = index.nearest(query, 50)
        assert len(found) == 50
        assert_float32_answer(found, rows, query)


@pytest.mark.parametrize("first, total", [(10, 300), (QUANTIZED_FROM - 100, QUANTIZED_FROM + 200)])
def test_records_added_and_replaced_are_found_as_if_loaded(first: int, total: int) -> None:
    # Small indexes are scanned in float32; the second grows past QUANTIZED_FROM into the int8 scan.
    rows = unit_rows(total, seed=3)
    grown = VectorIndex(indexed(rows[:first]))
    for start in range(first, total, 7):  # past the first buffer's room, a few at a time
        part = rows[start : start + 7]
        grown.add(list(range(start + 1, start + 1 + len(part))), part, [0.0] * len(part), [0.0] * len(part))
    changed = unit_rows(1, seed=4)[0]
    grown.replace(5, changed)
    rows[4] = changed
    assert len(grown) == total
    for query in [changed, *unit_rows(5, seed=5)]:
        found = grown.nearest(query, 10)
        assert len(found) == 10
        assert_float32_answer(found, rows, query)
    assert grown.nearest(changed, 1)[0][0] == 5


def test_a_stretch_of_time_limits_the_search_to_it() -> None:
    rows = unit_rows(100, seed=6)
    days = [datetime(2026, 3, 1 + i % 28, 12).astimezone().timestamp() for i in range(100)]  # 1-28 March, 3.6 times
    index = VectorIndex(Indexed(list(range(1, 101)), rows, np.array(days), np.array(days)))
    first_week = index.inside(Window(date(2026, 3, 1), date(2026, 3, 8), "the first week of March"))
    assert first_week.sum() == 4 * 7 and len(index.nearest(rows[0], 50, first_week)) == first_week.sum()
    found = [record_id for record_id, _ in index.nearest(rows[40], 5, first_week)]
    assert all(first_week[record_id - 1] for record_id in found) and 41 not in found  # 10 March: outside
    assert index.nearest(rows[0], 5, np.zeros(100, dtype=bool)) == []
    assert VectorIndex(Indexed([], np.zeros((0, 0), np.float32), np.zeros(0), np.zeros(0))).nearest(rows[0], 5) == []
