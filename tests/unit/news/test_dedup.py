"""Exact keys (canonical URL, content hash) and the windowed MinHash-LSH index."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from stockflow.news.canonical import canonical_url, content_hash
from stockflow.news.neardup import NearDuplicateIndex, shingles, signature

T0 = datetime(2026, 1, 5, 14, 0, tzinfo=UTC)
BODY = ("Nvidia reported quarterly revenue of 39 billion dollars, ahead of analyst estimates, "
        "as demand for its data centre chips kept rising. The company guided next quarter "
        "revenue above expectations and said supply of its newest accelerators is improving.")


def test_canonical_url_strips_tracking_and_normalises() -> None:
    a = canonical_url("HTTPS://www.Example.com:443/news/story/?utm_source=x&id=7&fbclid=abc#top")
    b = canonical_url("https://example.com/news/story?id=7")
    assert a == b == "https://example.com/news/story?id=7"
    assert canonical_url("https://example.com/a?b=2&a=1") == "https://example.com/a?a=1&b=2"
    assert canonical_url("https://example.com/a?id=1") != canonical_url("https://example.com/a?id=2")


def test_content_hash_ignores_markup_spacing_and_case() -> None:
    assert content_hash("Nvidia  beats", "Revenue UP.") == content_hash("nvidia beats", "revenue up")
    assert content_hash("Nvidia beats", "x") != content_hash("Nvidia misses", "x")


def test_near_duplicate_joins_story_and_unrelated_does_not() -> None:
    index = NearDuplicateIndex()
    index.add("a1", "story-1", signature("Nvidia tops estimates " + BODY), T0)
    rewrite = "Nvidia beats forecasts on chip demand " + BODY.replace("kept rising", "stays high")
    match = index.query(signature(rewrite), T0 + timedelta(minutes=5))
    assert match is not None and match.story_id == "story-1" and match.similarity >= 0.5
    other = ("Exxon Mobil said oil output in the Permian basin rose to a record as it completed "
             "the integration of its latest acquisition and cut costs across refining units.")
    assert index.query(signature(other), T0) is None


def test_window_expires_old_items() -> None:
    index = NearDuplicateIndex(window=timedelta(hours=1))
    sig = signature(BODY)
    index.add("a1", "s1", sig, T0)
    assert index.query(sig, T0 + timedelta(hours=2)) is None  # outside the window
    index.add("a2", "s2", signature("something else entirely about banks"),
              T0 + timedelta(hours=2))
    assert len(index) == 1  # a1 evicted once a newer item moved the window on
    assert index.query(sig, T0) is None


def test_cjk_text_is_shingled_by_characters() -> None:
    assert len(shingles("英伟达季度营收超出预期")) > 5


def test_bands_must_divide_permutations() -> None:
    with pytest.raises(ValueError):
        NearDuplicateIndex(num_perm=64, bands=10)


def test_eviction_from_a_shared_bucket_keeps_the_younger_item() -> None:
    index = NearDuplicateIndex(window=timedelta(hours=1))
    sig = signature(BODY)
    index.add("old", "s1", sig, T0)
    index.add("young", "s1", sig, T0 + timedelta(minutes=30))
    index.add("other", "s2", signature("unrelated words about oil and banks today"),
              T0 + timedelta(minutes=70))
    match = index.query(sig, T0 + timedelta(minutes=70))
    assert len(index) == 2 and match is not None and match.item_id == "young"


def test_table_grows_and_rebuilds_without_losing_items() -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    index = NearDuplicateIndex(window=timedelta(minutes=500))
    sigs = rng.integers(0, 2**32, size=(3000, 64), dtype=np.uint32)
    for i, sig in enumerate(sigs):  # one a minute: the first 2,500 leave the window in turn
        index.add(f"a{i}", f"s{i}", sig, T0 + timedelta(minutes=i))
    now = T0 + timedelta(minutes=2999)
    assert len(index) == 501
    for i in (2499, 2500, 2750, 2999):
        match = index.query(sigs[i], now)
        assert match is not None and match.item_id == f"a{i}" and match.similarity == 1.0
    assert index.query(sigs[10], now) is None  # evicted
    assert index.query(rng.integers(0, 2**32, size=64, dtype=np.uint32), now) is None
