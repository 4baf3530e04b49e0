"""The transformer sentiment backend through the real app, chosen by settings alone: analysis of
the caller's text and a stored article's sentiment both say which local model answered."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from stockflow.news.domain import RawArticle
from stockflow.news.sentiment.transformer import model_version
from stockflow.news.service import NewsService
from tests.e2e.users_support import ADMIN_KEY, container_with, sign_up
from tests.unit.news import tiny_model

tiny_model.libraries()  # skip the module where torch is missing (never in CI)


async def test_a_configured_local_model_scores_analysis_and_stored_articles(tmp_path):
    # Bullish whatever the text: the model answers (positive 0.7, negative 0.1, neutral 0.2).
    folder = tiny_model.build(tmp_path / "finbert", tiny_model.FINBERT,
                              probabilities=(0.7, 0.1, 0.2), name_or_path="ProsusAI/finbert")
    news = {"simulated": False, "sentiment_backend": "transformer",
            "transformer_path": str(folder)}
    expected = {"model": "transformer:ProsusAI/finbert", "version": model_version(folder)}
    async with container_with(tmp_path, "memory", {"news": news, "control": {
            "api_key": ADMIN_KEY}}) as (container, client):
        pro = (await sign_up(client, tier="pro")).headers
        r = await client.post("/v1/news/analyze", headers=pro,
                              json={"text": "Apple shares slip after a weak quarter"})
        assert r.status_code == 200, r.text
        [result] = r.json()["data"]
        assert result["sentiment"] == {"score": 0.6, "label": "bullish", "confidence": 0.7,
                                       **expected}
        stored = await container.port(NewsService).ingest(RawArticle(
            source="Wire", url="https://wire.test/finbert", title="Nvidia shares rise",
            body="Nvidia raised its outlook.", published_at=datetime.now(UTC), language="en"))
        r = await client.get(f"/v1/news/{stored.article.id}/sentiment", headers=pro)
        assert r.status_code == 200, r.text
        body = r.json()["data"]
        assert {k: body["sentiment"][k] for k in expected} == expected
        assert [t["sentiment"]["model"] for t in body["tickers"]] == [expected["model"]]


def test_start_without_the_model_is_refused_with_the_setting_to_fix(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("STOCKFLOW_")}
    env |= {"STOCKFLOW_DATA_DIR": str(tmp_path), "STOCKFLOW_NEWS__SENTIMENT_BACKEND": "transformer"}
    proc = subprocess.run([str(Path(sys.executable).with_name("stockflow")), "up"], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 2, proc.stderr
    assert "settings are invalid" in proc.stderr and "TRANSFORMER_PATH" in proc.stderr
    assert "Traceback" not in proc.stderr
