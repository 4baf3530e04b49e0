"""Where the channel keys come from (settings, a key file, or one generated into the data
folder), and the platform sealing channel rows written before sealing existed when it starts."""

from __future__ import annotations

import stat

import pytest
from cryptography.fernet import Fernet
from pydantic import ValidationError

from stockflow.adapters.storage.database import SqlDatabase
from stockflow.alerts.channels import ChannelService
from stockflow.alerts.config import AlertsSettings
from stockflow.alerts.delivery import Channel, ChannelKind
from stockflow.alerts.repository import SqlAlertRepository
from stockflow.alerts.sealing import KEY_FILE, ChannelCipher, SealError, load_cipher
from stockflow.bootstrap import bootstrap
from tests.conftest import make_settings
from tests.contract.test_alert_repository import _raw_channels


def test_settings_refuse_a_key_fernet_cannot_use():
    with pytest.raises(ValidationError, match="Fernet key"):
        AlertsSettings(channel_keys=["not-a-key"])
    AlertsSettings(channel_keys=[Fernet.generate_key().decode()])


def test_keys_come_from_settings_then_the_file_else_one_is_generated(tmp_path):
    made = load_cipher([], None, tmp_path)
    key_file = tmp_path / KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    again = load_cipher([], None, tmp_path)                  # a restart: the same key
    assert again.open(made.seal("whsec_x")) == "whsec_x"
    assert Fernet(key_file.read_bytes()).decrypt(made.seal("a")[len("fernet:"):].encode())

    first, second, third = (Fernet.generate_key().decode() for _ in range(3))
    keys = tmp_path / "channel-keys"
    keys.write_text(f"# mounted secret\n{second}\n\n{third}\n")
    from_file = load_cipher([], keys, tmp_path)
    assert ChannelCipher([second]).open(from_file.seal("s")) == "s"      # the file's first seals
    assert from_file.open(ChannelCipher([third]).seal("t")) == "t"      # every key opens
    both = load_cipher([first], keys, tmp_path)
    assert ChannelCipher([first]).open(both.seal("u")) == "u"           # settings come first
    with pytest.raises(SealError):
        ChannelCipher([third]).open(both.seal("v"))


async def test_channels_stored_before_sealing_are_sealed_when_the_platform_starts(tmp_path):
    container = bootstrap(make_settings(tmp_path, simulator={"backfill_on_start": False}))
    await container.start()             # migrates, generates the data folder's key
    await container.stop()
    db = SqlDatabase(f"sqlite:///{tmp_path / 'stockflow.db'}")
    await db.connect()
    legacy = SqlAlertRepository(db)     # no cipher: what an earlier version wrote
    hook = Channel(id="c1", user_id="u1", kind=ChannelKind.WEBHOOK, verified=True,
                   target="https://hooks.example.com/a", secrets=("whsec_plain",))
    await legacy.add_channel(hook)
    assert (await _raw_channels(legacy))["c1"] == (hook.target, ["whsec_plain"])

    container = bootstrap(make_settings(tmp_path, simulator={"backfill_on_start": False}))
    await container.start()
    try:
        target, secrets = (await _raw_channels(legacy))["c1"]
        assert target.startswith("fernet:") and secrets[0].startswith("fernet:")
        assert await container.port(ChannelService).get("u1", "c1") == hook
    finally:
        await container.stop()
        await db.close()
