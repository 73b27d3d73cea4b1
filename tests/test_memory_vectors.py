"""The in-memory vector index finds what a plain float32 scan finds: small ones by that scan, large ones by an int8
scan with exact rescoring."""

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


def plain_scan(rows: np.ndarray, query: np.ndarray, count: int, first_id: int = 1) -> list[int]:
    return [int(i) + first_id for i in np.argsort(-(rows @ query), kind="stable")[:count]]


def test_the_int8_scan_returns_the_float32_answer() -> None:
    # Random vectors are the hard case: their cosines crowd together, far closer than real sentences' do.
    rows = unit_rows(20_000, seed=1)
    index = VectorIndex(indexed(rows))
    for query in unit_rows(20, seed=2):
        found = index.nearest(query, 50)
        assert [record_id for record_id, _ in found] == plain_scan(rows, query, 50)
        assert np.allclose([cosine for _, cosine in found], np.sort(rows @ query)[::-1][:50], atol=1e-6)


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
        assert [record_id for record_id, _ in grown.nearest(query, 10)] == plain_scan(rows, query, 10)


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
