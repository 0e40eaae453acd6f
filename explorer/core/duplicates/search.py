"""All pairs of 64-bit hashes within a Hamming distance, without comparing every pair.

Multi-index hashing (Norouzi, Punjani and Fleet, 2012): the 64 bits are cut into three
chunks of 22, 21 and 21 bits. Two hashes at most ``d`` bits apart differ in at most
``r = d // 3`` bits of at least one chunk (if every chunk differed in more, the whole
would differ in at least ``3 (r + 1) > d``). So every hash is bucketed by each chunk's
value, and a pair is a candidate of chunk ``c`` when its two chunk values differ in at most
``r`` bits: for each flip pattern ``f`` of at most ``r`` bits, a hash meets the bucket of
its chunk value XOR ``f``. Candidates are then checked on all 64 bits. Each pair is kept
in the first chunk that finds it, so none comes twice, and the search is exact: every
pair within ``d`` is found (the tests check it against brute force).

On uniform random hashes a chunk bucket of 21 bits holds N / 2^21 hashes (6.8 at 14.2
million), so the candidates number about ``N² × 3 × V(21, r) / 2^22`` (V: the flip
patterns, 232 for r = 2): 3.3 × 10^10 at 14.2 million hashes and d = 8, checked by numpy
in blocks of a few million, memory bounded by the block. Small sets, or distances where
the candidates would be near N²/2, are compared by brute force in blocks instead.

>>> codes = np.array([0b1011, 0b0001, 0xFFFF, 0b1001], dtype=np.uint64)
>>> pairs = near_pairs(codes, 2)
>>> list(zip(pairs.first.tolist(), pairs.second.tolist(), pairs.distance.tolist()))
[(0, 1, 2), (0, 3, 1), (1, 3, 1)]
"""

from __future__ import annotations

import functools
import itertools
import math
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

import numpy as np

from explorer.core.jobs import JobState

CHUNKS = ((42, 22), (21, 21), (0, 21))  # (shift, bits) of the three chunks: 64 bits
_BLOCK = 1 << 22  # candidates checked at once: ~200 MB of temporary arrays
_BRUTE_BLOCK = 1 << 22  # pairs compared at once by brute force
THREADS = min(4, os.cpu_count() or 1)
_PROBES = 1 << 20  # hashes probing at once


@dataclass(frozen=True)
class Pairs:
    """Pairs of hashes within the distance: indices into the hashes searched (``first`` into
    the first set, ``second`` into the second, or the same set with first < second) and the
    Hamming distance, sorted by (first, second)."""

    first: np.ndarray  # int64
    second: np.ndarray  # int64
    distance: np.ndarray  # uint8

    def __len__(self) -> int:
        return len(self.first)


def near_pairs(
    codes: np.ndarray,
    max_distance: int,
    *,
    against: np.ndarray | None = None,
    method: Literal["auto", "index", "brute"] = "auto",
    state: JobState | None = None,
) -> Pairs:
    """Every pair of ``codes`` (uint64) at most ``max_distance`` bits apart, or with
    ``against``, every pair of one hash of ``codes`` and one of ``against``. ``method``:
    the multi-index search or brute force, by their expected cost unless named."""
    state = state or JobState()
    if not 0 <= max_distance <= 64:
        raise ValueError(f"a distance of {max_distance} bits is not between 0 and 64")
    codes = np.ascontiguousarray(codes, dtype=np.uint64)
    other = codes if against is None else np.ascontiguousarray(against, dtype=np.uint64)
    same = against is None
    if method == "auto":
        cheaper = (
            _multi_index_cost(len(codes), len(other), max_distance) < len(codes) * len(other) / 4
        )
        method = "index" if cheaper else "brute"
    if method == "index":
        found = _multi_index(codes, other, same, max_distance, state)
    else:
        found = _brute_force(codes, other, same, max_distance, state)
    first, second, distance = (np.concatenate(parts) for parts in zip(*found, strict=True))
    order = np.lexsort((second, first))
    return Pairs(first[order], second[order], distance[order].astype(np.uint8))


def flip_count(bits: int, radius: int) -> int:
    """V(bits, radius): the patterns of at most ``radius`` set bits among ``bits``."""
    return sum(math.comb(bits, k) for k in range(radius + 1))


def _multi_index_cost(n: int, m: int, max_distance: int) -> float:
    """Candidates the multi-index search would check, on uniform hashes."""
    radius = max_distance // len(CHUNKS)
    return float(sum(n * m * flip_count(bits, radius) / 2**bits for _, bits in CHUNKS))


_Found = Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]


def _brute_force(
    codes: np.ndarray, other: np.ndarray, same: bool, max_distance: int, state: JobState
) -> _Found:
    yield _EMPTY
    rows = max(1, _BRUTE_BLOCK // max(1, len(other)))
    for start in range(0, len(codes), rows):
        state.check()
        block = codes[start : start + rows]
        distance = np.bitwise_count(block[:, None] ^ other[None, :])
        near = distance <= max_distance
        if same:  # each pair once: the second after the first
            near &= np.arange(len(other))[None, :] > np.arange(start, start + len(block))[:, None]
        first, second = np.nonzero(near)
        yield first + start, second, distance[first, second]
        state.progress(start + len(block), len(codes), "Comparing hashes")


_EMPTY = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.uint8))


def _multi_index(
    codes: np.ndarray, other: np.ndarray, same: bool, max_distance: int, state: JobState
) -> _Found:
    yield _EMPTY
    radius = max_distance // len(CHUNKS)
    steps = sum(flip_count(bits, radius) for _, bits in CHUNKS)
    done = 0
    for chunk, (shift, bits) in enumerate(CHUNKS):
        index = _ChunkIndex(codes, other, same, shift, bits)
        search = functools.partial(
            index.pairs, max_distance=max_distance, radius=radius, earlier=CHUNKS[:chunk]
        )
        with ThreadPoolExecutor(THREADS, thread_name_prefix="pairs") as pool:
            # numpy releases the GIL in its loops: the flip patterns run side by side
            for found in pool.map(search, _flip_patterns(bits, radius)):
                state.check()
                yield found
                done += 1
                state.progress(done, steps, "Comparing hashes")


def _flip_patterns(bits: int, radius: int) -> Iterator[int]:
    for weight in range(radius + 1):
        for positions in itertools.combinations(range(bits), weight):
            yield sum(1 << p for p in positions)


class _ChunkIndex:
    """One chunk's buckets: both sets sorted by the chunk's value, with each value's bucket."""

    def __init__(
        self, codes: np.ndarray, other: np.ndarray, same: bool, shift: int, bits: int
    ) -> None:
        mask = np.uint64((1 << bits) - 1)

        def bucketed(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            keys = ((values >> np.uint64(shift)) & mask).astype(np.int64)
            order = np.argsort(keys, kind="stable")
            return order, keys[order], values[order]

        self.same = same
        self.order, self.keys, self.codes = bucketed(codes)
        if same:
            self.other_order, other_keys, self.other = self.order, self.keys, self.codes
        else:
            self.other_order, other_keys, self.other = bucketed(other)
        self.counts = np.bincount(other_keys, minlength=1 << bits)
        self.starts = np.cumsum(self.counts) - self.counts

    def pairs(
        self, flips: int, *, max_distance: int, radius: int, earlier: tuple[tuple[int, int], ...]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The pairs (x, y) with key(y) = key(x) XOR flips found first by this chunk: each x
        meets the bucket it points to; in one set, each pair once."""
        found = [_EMPTY]
        for start in range(0, len(self.keys), _PROBES):  # bounded temporaries per thread
            found.extend(self._slice_pairs(start, flips, max_distance, radius, earlier))
        first, second, distance = (np.concatenate(parts) for parts in zip(*found, strict=True))
        return first, second, distance

    def _slice_pairs(
        self,
        start: int,
        flips: int,
        max_distance: int,
        radius: int,
        earlier: tuple[tuple[int, int], ...],
    ) -> _Found:
        stop = min(start + _PROBES, len(self.keys))
        if self.same and flips:
            # (x, y) and (y, x) point to each other: take the x whose key has flips' top bit 0
            top = 1 << (flips.bit_length() - 1)
            probes = start + np.flatnonzero((self.keys[start:stop] & top) == 0)
        else:
            probes = np.arange(start, stop)
        targets = self.keys[probes] ^ flips
        if self.same and not flips:  # within a bucket: only the members after x in it
            first_partner = probes + 1
            sizes = self.starts[targets] + self.counts[targets] - first_partner
        else:
            first_partner = self.starts[targets]
            sizes = self.counts[targets]
        ends = np.cumsum(sizes)
        begin = 0
        while begin < len(probes):  # blocks of probes with about _BLOCK partners
            base = int(ends[begin - 1]) if begin else 0
            end = max(int(np.searchsorted(ends, base + _BLOCK, "right")), begin + 1)
            block = slice(begin, end)
            total = int(ends[end - 1]) - base
            if total:
                # partner k of a probe sits at its first partner + k in other's bucket order
                starts = ends[block] - sizes[block] - base
                partner = np.repeat(first_partner[block] - starts, sizes[block])
                partner += np.arange(total)
                difference = np.repeat(self.codes[probes[block]], sizes[block])
                difference ^= self.other[partner]
                distance = np.bitwise_count(difference)
                near = np.flatnonzero(distance <= max_distance)
                # the few near ones: found by an earlier chunk already? whose are they?
                keep = np.ones(len(near), bool)
                for shift, bits in earlier:
                    part = (difference[near] >> np.uint64(shift)) & np.uint64((1 << bits) - 1)
                    keep &= np.bitwise_count(part) > radius
                near = near[keep]
                probe = probes[block][np.searchsorted(ends[block] - base, near, "right")]
                x, y = self.order[probe], self.other_order[partner[near]]
                if self.same:
                    x, y = np.minimum(x, y), np.maximum(x, y)
                yield x, y, distance[near]
            begin = end
