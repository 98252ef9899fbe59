"""One truth about an edit (issue 18): one keep has one span, and the status bar, History, the
Keep panel and the Seams panel all show that very span; the edited song has its own name; the
transport says what is heard and which version was kept; the title bar names the project and
carries the unsaved mark until it is saved; the next action replaces the status message.

The whole editor as the app wires it (real offscreen widgets, the player without a device)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from inpaint_studio.core.audio import Audio
from inpaint_studio.core.history import span_text
from inpaint_studio.services.job_controller import JobStore
from tests.gui.conftest import install_all

REGION = (5.0, 8.0)


def departing_version(song: Audio, seed: int, start: float, end: float) -> Audio:
    """The song with noise from `start` to `end`: a version that departs from the song a
    little before the region it was made for and rejoins it a little after (as the local
    engine's versions do), so the span a keep replaces is wider than the region."""
    rng = np.random.default_rng(seed)
    samples = song.samples.copy()
    a, b = int(start * song.sample_rate), int(end * song.sample_rate)
    samples[:, a:b] = rng.uniform(-0.3, 0.3, (song.channels, b - a)).astype(np.float32)
    return Audio(samples, song.sample_rate)


@pytest.fixture
def editor(qtbot, loaded, tmp_path):
    services, features = install_all(loaded, tmp_path)
    song = loaded.document.audio
    v1 = departing_version(song, 1, 4.7, 8.2)
    v2 = departing_version(song, 2, 4.6, 8.3)
    loaded.region.set(*REGION)
    features.compare.set_versions([(1, v1), (2, v2)])
    features.keep.offer(1, v1, REGION)
    features.keep.offer(2, v2, REGION)
    session = services.session
    qtbot.waitUntil(lambda: all(o.heard is not None for o in session.offers.values()),
                    timeout=10000)
    qtbot.waitUntil(lambda: features.compare.table.table.rowCount() == 2, timeout=20000)
    return loaded, services, features


def seams_cell(features, label: str) -> str:
    table = features.compare.table.table
    for row in range(table.rowCount()):
        if table.item(row, 0).text() == label:
            return table.item(row, 1).text()
    labels = [table.item(r, 0).text() for r in range(table.rowCount())]
    raise AssertionError(f"no row {label!r} in {labels}")


def test_one_keep_one_span_everywhere(qtbot, editor):
    window, services, features = editor
    session, keep = services.session, features.keep
    span = session.keep_span(2)
    assert span[0] < REGION[0] - 0.2 and span[1] > REGION[1] + 0.1  # widened to the version
    text = span_text(span)
    # Before the keep: the panel and the Seams panel say what a keep would replace.
    assert f"Version 2 ({text})" in keep.panel.state.text()
    assert seams_cell(features, "Version 2") == f"Keeps {text}"

    keep.keep(2)
    qtbot.waitUntil(lambda: not session.busy and session.latest_keep() is not None,
                    timeout=10000)
    qtbot.wait(10)
    edit = session.latest_keep()
    assert edit.region == span and edit.span_text == text
    assert text in window.statusBar().currentMessage()
    assert "Kept Version 2" in window.statusBar().currentMessage()
    assert text in keep.history.rows()[-1]
    assert f"Kept Version 2 ({text})." in keep.panel.state.text()
    assert seams_cell(features, "Version 2 (kept)") == f"Kept {text}"
    # No other span of this keep is shown anywhere: every time in these texts is the span's.
    shown = " ".join([window.statusBar().currentMessage(), keep.history.rows()[-1],
                      seams_cell(features, "Version 2 (kept)")])
    assert set(re.findall(r"\d+:\d\d\.\d{3}", shown)) == set(text.split("–"))


def test_the_edited_song_its_name_what_is_heard_and_the_title(qtbot, editor, tmp_path):
    window, services, features = editor
    session, keep, compare = services.session, features.keep, features.compare
    bar = compare.bar
    compare.select("v2")
    assert bar.hearing_label.text() == "Hearing: Version 2"
    assert not window.isWindowModified()
    keep.keep(2)
    qtbot.waitUntil(lambda: not session.busy and session.latest_keep() is not None,
                    timeout=10000)
    qtbot.wait(10)
    # The edited song is named as such, is what is heard now, and the kept version says so.
    assert bar.source_buttons[0].text() == "1  Edited"
    assert bar.hearing_label.text() == "Hearing: Edited"
    assert services.player.audible == "original"
    titles = {name: lane.title.text() for name, lane in compare.lanes.items()}
    assert titles == {"v1": "Version 1", "v2": "Version 2 (kept)"}
    assert keep.history.rows()[0] == "Original (as opened)"
    # The title bar: the song's name with the unsaved mark set.
    assert "[*]" in window.windowTitle() and window.isWindowModified()

    # The next action replaces the status message.
    kept_message = window.statusBar().currentMessage()
    session.undo()
    qtbot.waitUntil(lambda: session.latest_keep() is None and not session.busy, timeout=10000)
    qtbot.wait(10)
    assert window.statusBar().currentMessage() != kept_message
    assert window.statusBar().currentMessage().startswith("Undone: Keep Version 2")
    assert bar.source_buttons[0].text() == "1  Original"
    assert compare.lanes["v2"].title.text() == "Version 2"
    session.redo()
    qtbot.waitUntil(lambda: session.latest_keep() is not None and not session.busy,
                    timeout=10000)
    qtbot.wait(10)
    assert window.statusBar().currentMessage().startswith("Redone: Keep Version 2")

    # Saved: the project's name in the title, the mark gone.
    target = tmp_path / "projects" / "my song.inpaint"
    keep.project.ask_save_path = lambda: str(target)
    with qtbot.waitSignal(services.projects.saved, timeout=10000):
        keep.project.save_action.trigger()
    assert window.windowTitle().startswith("my song[*]")
    assert not window.isWindowModified()


def test_versions_made_for_another_region_are_not_offered_as_keepable(qtbot, editor):
    window, services, features = editor
    keep = features.keep
    window.region.clear()  # as after reopening the plain song: versions shown, no region
    qtbot.wait(10)
    assert not keep.panel.keep_buttons[1].isEnabled()
    assert not keep.panel.keep_buttons[2].isEnabled()
    text = keep.panel.state.text()
    assert "Can keep" not in text
    assert "select that region" in text and "0:05.000–0:08.000" in text


def test_history_names_a_jobs_version_by_its_prompt_not_an_id(qtbot, loaded, tmp_path):
    services, features = install_all(loaded, tmp_path)
    store = JobStore(tmp_path / "ids.sqlite3")
    job = store.create(backend="local", base_url="", source=str(loaded.document.path),
                       upload_path="", start=REGION[0], end=REGION[1],
                       params={"prompt": "warm piano with soft strings and a bit of brass"})
    song = loaded.document.audio
    loaded.region.set(*REGION)
    features.keep.offer_versions(job, [(1, departing_version(song, 1, 4.7, 8.2))])
    qtbot.waitUntil(lambda: services.session.offers[1].heard is not None, timeout=10000)
    features.keep.keep(1)
    qtbot.waitUntil(lambda: services.session.latest_keep() is not None
                    and not services.session.busy, timeout=10000)
    row = features.keep.history.rows()[-1]
    assert row.startswith("Keep Version 1 “warm piano with soft strings…” ")
    assert job.id[:8] not in row and job.id[:8] not in loaded.statusBar().currentMessage()
