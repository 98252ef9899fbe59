"""The sound device opened after the window is drawn (`Player(open_later=True)`, as the app
builds it): until then a silent clock keeps time; `open_output()` opens the device (in the audio
process) in a worker and carries over what was set meanwhile — region, rolls, loop, gains,
playhead, the solo set and which source is heard. The compare feature says the output is being
opened, then which output it got."""

from __future__ import annotations

import numpy as np
import pytest

from inpaint_studio.core.audio import Audio
from inpaint_studio.gui.compare_panel import CompareFeature
from inpaint_studio.services.player import Player
from inpaint_studio.services.seam_readout import SeamReadout


def _song(seconds: float = 8.0) -> Audio:
    t = np.arange(int(44100 * seconds), dtype=np.float32) / 44100
    tone = np.sin(2 * np.pi * 220 * t).astype(np.float32)
    return Audio(np.stack([tone, tone]), 44100)


@pytest.fixture
def player(qtbot, workers):
    player = Player(workers, open_later=True)
    yield player
    player.close()


def test_state_set_before_the_device_opens_is_carried_over(qtbot, player):
    silent = player.engine
    assert player.opening and not silent.isolated and player.engine.output_kind == "null"
    song = _song()
    with qtbot.waitSignal(player.sources_changed, timeout=20000):
        player.set_sources({"original": song, "v1": song})
    player.set_rolls(1.0, 0.5)
    player.set_region((2.0, 4.0))
    player.set_loop(True)
    player.set_gains_db({"v1": -3.0})
    player.select("v1")
    player.seek(2.5)
    with qtbot.waitSignal(player.output_changed, timeout=60000):
        assert player.open_output() is not None
    assert not player.opening and player.engine is not silent
    engine = player.engine
    assert engine.isolated  # the audio process, as before the change
    assert (engine.region, engine.pre_roll_s, engine.post_roll_s) == ((2.0, 4.0), 1.0, 0.5)
    assert engine.loop_enabled and engine.gains_db == {"v1": -3.0}
    qtbot.waitUntil(lambda: engine.names == ("original", "v1"), timeout=20000)
    # the playhead goes on from where the silent clock was, once the solo set is in place
    qtbot.waitUntil(lambda: abs(engine.position - 2.5) < 0.01, timeout=5000)
    assert not engine.playing
    qtbot.waitUntil(lambda: player.audible == "v1", timeout=5000)
    assert player.open_output() is None  # once


def test_compare_feature_says_the_output_is_opening_then_which(qtbot, loaded, player):
    feature = CompareFeature(loaded, player, SeamReadout(loaded.workers, parent=loaded))
    assert "opening" in feature.bar.output_label.text()
    with qtbot.waitSignal(player.output_changed, timeout=60000):
        player.open_output()
    assert "opening" not in feature.bar.output_label.text()
    assert feature.bar.output_label.text()
