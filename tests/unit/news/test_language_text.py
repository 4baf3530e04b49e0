"""Language detection, search tokens for zh/ja, and HTML made safe."""

from __future__ import annotations

import pytest

from stockflow.news.domain import Language
from stockflow.news.language import detect_language, search_tokens
from stockflow.news.text import MAX_TITLE_CHARS, UnsafeContent, clean, clean_body, clean_title


@pytest.mark.parametrize(("text", "lang"), [
    ("Nvidia shares rise after the company beats estimates", Language.EN),
    ("英伟达第三季度营收超出市场预期，股价上涨", Language.ZH),
    ("エヌビディアの決算は市場予想を上回り、株価が上昇した", Language.JA),
    ("Analysten heben das Kursziel für die Aktie der Deutschen Bank an", Language.OTHER),
    ("La banque centrale a relevé ses taux pour la deuxième fois", Language.OTHER),
    ("12345 !!!", Language.OTHER),
])
def test_detect_language(text: str, lang: Language) -> None:
    assert detect_language(text) is lang


def test_chinese_tokens_are_words() -> None:
    tokens = search_tokens("英伟达股价上涨", Language.ZH)
    assert "股价" in tokens and "上涨" in tokens


def test_japanese_tokens_are_bigrams_and_latin_words_kept() -> None:
    tokens = search_tokens("テスラ株 Model Y", Language.JA)
    assert {"テス", "スラ", "ラ株", "model", "y"} <= set(tokens)


def test_scripts_and_pixels_are_stripped() -> None:
    raw = ('<p>Shares <b>rose</b> &amp; held.</p><script>alert(1)</script>'
           '<img src="http://feeds.feedburner.com/~r/x/~4/abc" height="1" width="1"/>'
           '<a href="javascript:alert(1)" onclick="x()">link</a><style>p{}</style>')
    out = clean_body(raw)
    assert out.text == "Shares rose & held.\nlink"
    assert "script" not in out.html and "onclick" not in out.html and "javascript" not in out.html
    assert "feedburner" not in out.html


def test_sizes_are_capped() -> None:
    title = clean_title("word " * 1000)
    assert len(title) <= MAX_TITLE_CHARS + 1 and title.endswith("…")
    assert clean("abc " * 50, limit=20).truncated


def test_hostile_items_raise_with_a_reason() -> None:
    with pytest.raises(UnsafeContent, match="tags"):
        clean_body("<b>" * 6000)
    with pytest.raises(UnsafeContent, match="bytes"):
        clean_body("x" * 2_000_001)
    with pytest.raises(UnsafeContent, match="empty title"):
        clean_title("<script>only a script</script>")
