"""CJK bigrams, highlighting and the suggestion match score."""

from __future__ import annotations

from stockflow.search.text import cjk_bigrams, highlight, match_quality, trigrams, typo_pieces


def test_cjk_runs_become_bigrams_and_latin_text_is_untouched() -> None:
    assert cjk_bigrams("NVDA发布财报") == "NVDA 发布 布财 财报 "
    assert cjk_bigrams("トヨタ自動車") == " トヨ ヨタ タ自 自動 動車 "
    assert cjk_bigrams("plain words") == "plain words"
    assert cjk_bigrams("株") == " 株 "


def test_highlight_marks_matches_and_escapes_the_document() -> None:
    text = "Shares of <b>NVIDIA</b> rallied as chips sold out"
    out = highlight(text, ["nvidia", "chip", "rally"])
    assert out == ("Shares of &lt;b&gt;<mark>NVIDIA</mark>&lt;/b&gt; <mark>rallied</mark> "
                   "as <mark>chips</mark> sold out")
    assert highlight(text, ["absent"]) is None
    assert highlight("丰田汽车发布财报", ["财报"]) == "丰田汽车发布<mark>财报</mark>"


def test_highlight_cuts_a_window_around_the_first_match() -> None:
    text = "filler " * 60 + "the merger closed " + "tail " * 60
    out = highlight(text, ["merger"], width=80)
    assert out is not None and out.startswith("…") and out.endswith("…")
    assert "<mark>merger</mark>" in out and len(out) < 120


def test_match_quality_orders_exact_prefix_and_typos() -> None:
    assert match_quality("NVDA", "NVDA", "NVIDIA Corporation", ())[0] == 1.0
    prefix, _ = match_quality("nv", "NVDA", "NVIDIA Corporation", ())
    word, _ = match_quality("micro", "MSFT", "Microsoft Corporation", ())
    one_typo, what = match_quality("nvdia", "NVDA", "NVIDIA Corporation", ())
    two_typos, _ = match_quality("micrsft", "MSFT", "Microsoft Corporation", ())
    assert 1.0 > prefix > word > one_typo > two_typos > 0
    assert what in ("ticker", "name")
    assert match_quality("micrsoft", "MSFT", "Microsoft Corporation", ())[0] > 0
    assert match_quality("zzzzzz", "MSFT", "Microsoft Corporation", ()) == (0.0, "")
    assert match_quality("mx", "MSFT", "Microsoft", ()) == (0.0, "")  # no typos on 2 letters
    assert match_quality("google", "GOOGL", "Alphabet Inc.", ("Google",))[1] == "alias"


def test_trigrams() -> None:
    assert trigrams("NVdia") == ["dia", "nvd", "vdi"]
    assert trigrams("ab") == []


def test_typo_pieces_keep_one_intact_piece_per_typo() -> None:
    assert typo_pieces("nvdia") == trigrams("nvdia")  # short: its trigrams
    assert typo_pieces("micrsoft") == ["micr", "soft"]  # "soft" survives the missing "o"
    assert typo_pieces("berkshirehathaway") == ["berksh", "ireha", "thaway"]  # two typos: 3
