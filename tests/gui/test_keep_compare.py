"""Keep with the compare feature's player (null output): after a keep the player hears the
edited song, and changing the crossfade auditions the seam through the player's `play_range`."""

from __future__ import annotations

import numpy as np
import pytest

from inpaint_studio.core.audio import Audio
from inpaint_studio.gui.compare_panel import CompareFeature
from inpaint_studio.gui.keep_panel import KeepFeature
from inpaint_studio.services.player import Player
from tests.gui.conftest import services_for


@pytest.fixture
def both(qtbot, loaded, tmp_path):
    player = Player(loaded.workers, use_device=False, parent=loaded)
    with qtbot.waitSignal(player.sources_changed, timeout=10000):
        s = services_for(loaded, tmp_path, player=player)
        compare = CompareFeature(loaded, player, s.readout)
        compare._on_song_loaded()  # the song was loaded before the feature was installed
    keep = KeepFeature(loaded, s.session, s.exporter, s.projects, player)
    yield loaded, player, keep
    player.close()


def original_source(player: Player) -> np.ndarray:
    sources = player.engine._sources
    data = sources.data[sources.index["original"]]
    return data[: sources.frames].T  # back to (channels, frames)


def test_the_player_hears_the_kept_version_and_auditions_the_seam(qtbot, both):
    window, player, keep = both
    doc = window.document
    rng = np.random.default_rng(1)
    version = Audio(rng.uniform(-0.3, 0.3, doc.audio.samples.shape).astype(np.float32),
                    doc.audio.sample_rate)
    keep.offer(1, version, (4.0, 6.0))
    window.region.set(4.0, 6.0)
    with qtbot.waitSignal(player.sources_changed, timeout=10000):
        assert keep.keep(1)
    qtbot.waitUntil(lambda: not keep.session.busy, timeout=10000)
    assert np.array_equal(original_source(player), doc.audio.samples)

    played = []
    real = player.play_range
    player.play_range = lambda a, b: (played.append((a, b)), real(a, b))
    keep.panel.crossfade.setValue(200.0)
    qtbot.waitUntil(lambda: bool(played), timeout=10000)
    assert played[0] == pytest.approx((2.5, 5.5))
    qtbot.waitUntil(lambda: player.playing, timeout=3000)
    assert np.array_equal(original_source(player), doc.audio.samples)  # the new crossfade
