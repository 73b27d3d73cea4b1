"""One corpus's vectors, held in memory and searched by meaning.

Each record's vector is held in half precision (float16: a server holds thousands of users' vectors, and ten
months of conversation take 0.4 MB this way instead of 0.8), and scored with SimSIMD's float16 dot product, as fast
as numpy's float32 product (0.01 ms for 500 rows here). Half precision moves a cosine by at most ~1e-3, far less
than what separates two sentences' meanings (the MiniLM that made them runs in int8). From ``QUANTIZED_FROM`` rows
on, an int8 copy is kept too, every row scaled by its own largest component: a query is first scored against the
int8 copies with SimSIMD's integer dot product (1.8 ms for 100,000 rows here, against 5.0 ms for numpy's float32
product, which reads four times the bytes); the best ``SHORTLIST`` x ``count`` rows are then scored again in
float16 (tested against a plain float32 scan). Below that size the int8 pass is no faster, and its copies would
cost memory and ~1 ms per 500 rows to make. Rows grow in buffers with room to spare, so adding one record to
100,000 copies nothing.
"""

from __future__ import annotations

from datetime import datetime, time

import numpy as np
import numpy.typing as npt
import simsimd

from os1.memory.dates import Window
from os1.memory.store import Indexed, Vector

SHORTLIST = 8  # rows rescored in float16 for every row asked for
QUANTIZED_FROM = 8192  # rows: from here on the int8 pass saves what its copies cost (measured: 0.13 against 0.23
# ms for the float16 scan at 8,192 rows; 0.028 against 0.039 ms at 2,000, not worth 0.8 MB)
SPARE_ROWS = 16  # room left when an index is first made (a conversation adds a few turns at a time)


class VectorIndex:
    def __init__(self, indexed: Indexed):
        self.ids: list[int] = []
        self._row: dict[int, int] = {}
        self._matrix = np.empty((0, 0), dtype=np.float16)
        self._codes: npt.NDArray[np.int8] | None = None  # the int8 copies, once there are QUANTIZED_FROM rows
        self._scales = np.empty(0, dtype=np.float32)
        self._said = np.empty(0, dtype=np.float64)
        self._happened = np.empty(0, dtype=np.float64)
        self.add(indexed.ids, indexed.matrix, indexed.said, indexed.happened)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def nbytes(self) -> int:
        """The memory its buffers take."""
        codes = 0 if self._codes is None else self._codes.nbytes
        return self._matrix.nbytes + codes + self._scales.nbytes + self._said.nbytes + self._happened.nbytes

    def add(self, ids: list[int], rows: Vector, said: npt.ArrayLike, happened: npt.ArrayLike) -> None:
        if not ids:
            return
        used, wanted = len(self.ids), len(self.ids) + len(ids)
        if self._matrix.shape[0] < wanted or self._matrix.shape[1] != rows.shape[1]:
            self._grow(wanted + SPARE_ROWS if used == 0 else 2 * wanted, rows.shape[1])
        self._matrix[used:wanted] = rows
        if self._codes is not None:
            self._codes[used:wanted], self._scales[used:wanted] = _quantized(rows)
        elif wanted >= QUANTIZED_FROM:
            self._codes = np.empty(self._matrix.shape, dtype=np.int8)
            self._codes[:wanted], self._scales[:wanted] = _quantized(self._matrix[:wanted])
        self._said[used:wanted], self._happened[used:wanted] = said, happened
        self._row.update((record_id, row) for row, record_id in enumerate(ids, used))
        self.ids.extend(ids)

    def replace(self, record_id: int, vector: Vector) -> None:
        """A record's new vector (its words were edited)."""
        if (row := self._row.get(record_id)) is not None:
            self._matrix[row] = vector
            if self._codes is not None:
                codes, scales = _quantized(vector[None, :])
                self._codes[row], self._scales[row] = codes[0], scales[0]

    def inside(self, when: Window) -> npt.NDArray[np.bool_]:
        """Which records were said, or tell of something that happened, within ``when``."""
        start, end = (datetime.combine(day, time()).astimezone().timestamp() for day in (when.start, when.end))
        used = len(self.ids)
        said, happened = self._said[:used], self._happened[:used]
        return np.asarray(((said >= start) & (said < end)) | ((happened >= start) & (happened < end)))

    def nearest(
        self, vector: Vector, count: int, inside: npt.NDArray[np.bool_] | None = None
    ) -> list[tuple[int, float]]:
        """The ``count`` records closest in meaning to ``vector`` (only those ``inside``, if given), closest first,
        each with its cosine."""
        used = len(self.ids)
        if used == 0:
            return []
        if self._codes is None:
            rough = _dot(self._matrix[:used], vector)
        else:
            query, _ = _quantized(vector[None, :])
            rough = np.asarray(simsimd.cdist(query, self._codes[:used], metric="dot", out_dtype="float32"))[0]
            rough *= self._scales[:used]
        if inside is not None:
            rough = np.where(inside, rough, -np.inf)
        count = min(count, used if inside is None else int(inside.sum()))
        if count == 0:
            return []
        if self._codes is None:  # the scores are exact already
            shortlist, exact = np.arange(used), rough
        else:
            shortlist = _best(rough, min(used if inside is None else int(inside.sum()), SHORTLIST * count))
            exact = _dot(self._matrix[shortlist], vector)
        picked = _best(exact, count)
        return [(self.ids[row], float(cosine)) for row, cosine in zip(shortlist[picked], exact[picked], strict=True)]

    def _grow(self, rows: int, dim: int) -> None:
        used = len(self.ids)
        matrix = np.empty((rows, dim), dtype=np.float16)
        scales, said, happened = np.empty(rows, np.float32), np.empty(rows, np.float64), np.empty(rows, np.float64)
        if used:
            matrix[:used], scales[:used] = self._matrix[:used], self._scales[:used]
            said[:used], happened[:used] = self._said[:used], self._happened[:used]
        if self._codes is not None:
            codes = np.empty((rows, dim), dtype=np.int8)
            codes[:used] = self._codes[:used]
            self._codes = codes
        self._matrix, self._scales, self._said, self._happened = matrix, scales, said, happened


def _dot(rows: npt.NDArray[np.float16], vector: Vector) -> npt.NDArray[np.float32]:
    """Each row's dot product with ``vector``, in float16 with a float32 sum."""
    query = vector.astype(np.float16)[None, :]
    scores: npt.NDArray[np.float32] = np.asarray(simsimd.cdist(query, rows, metric="dot", out_dtype="float32"))[0]
    return scores


def _quantized(
    rows: npt.NDArray[np.float32] | npt.NDArray[np.float16],
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.float32]]:
    """Each row as int8 with its own scale: row ~ codes * scale."""
    largest = np.abs(rows).max(axis=1)
    scales = np.where(largest > 0, largest / 127, 1.0).astype(np.float32)
    return np.rint(rows / scales[:, None]).astype(np.int8), scales


def _best(scores: npt.NDArray[np.float32], count: int) -> npt.NDArray[np.intp]:
    """Indexes of the ``count`` highest scores, highest first."""
    top = np.argpartition(-scores, count - 1)[:count] if count < len(scores) else np.arange(len(scores))
    return top[np.argsort(-scores[top], kind="stable")]
