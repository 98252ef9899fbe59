"""The local session player in the window (issue 17, the GUI half): the job form says in words
what the local player will do with the prompt as it is typed (and nothing for MusicGPT), and a
version's played part is exported as MIDI from the File menu and the Keep dock — only when the
local server wrote one for it, as a byte-identical copy."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtTest import QTest

from inpaint_studio.backends.backend import LOCAL, MUSICGPT, Backends, BackendSettings
from inpaint_studio.gui.job_form import FormContext, JobForm
from inpaint_studio.player.compose import Harmony, Note
from inpaint_studio.player.midi import read_midi, write_midi
from inpaint_studio.services.job_controller import Stage
from tests.gui.conftest import install_all, load
from tests.gui.test_keep_jobs import NoKey
from tests.jobs.support import engine_pool, make_song

TIMEOUT_MS = 60000


def test_the_form_shows_the_local_players_plan_as_the_prompt_is_typed(qtbot):
    form = JobForm()
    qtbot.addWidget(form)
    form.resize(360, 700)
    form.show()
    form.set_context(FormContext(kind=LOCAL))
    assert not form.plan_label.isVisible()  # nothing typed, nothing planned
    QTest.keyClicks(form.prompt, "Add a soft guitar solo here")
    qtbot.waitUntil(lambda: form.plan_label.isVisible())
    assert form.plan_label.text() == ("Will add: soft nylon guitar solo over the region, "
                                      "song kept underneath")
    assert not form.local_note.isVisible()  # the plan says what the local backend will do

    form.prompt.setPlainText("ukulele strumming with zorblax, singing my lyrics")
    qtbot.waitUntil(lambda: "zorblax" in form.plan_label.text())
    lines = form.plan_label.text().splitlines()
    assert lines[0].startswith("Will add: nylon guitar")
    assert "Not understood: zorblax" in lines
    assert any("ukulele" in n and "Acoustic Guitar (nylon)" in n for n in lines)
    assert "Note: New lyrics cannot be sung: a choir sings vowels." in lines

    form.prompt.setPlainText("hello world")
    qtbot.waitUntil(lambda: "own material" in form.plan_label.text())
    assert form.plan_label.text().splitlines() == [
        "Will fill the region with the song's own material: the prompt names no instrument, "
        "style or feel for the local player to play.", "Not understood: hello, world"]

    form.set_context(FormContext(kind=MUSICGPT))  # the cloud model follows the prompt itself
    assert not form.plan_label.isVisible() and not form.local_note.isVisible()
    form.prompt.setPlainText("Add a soft guitar solo here")
    qtbot.wait(2 * 250)  # the debounce has fired: still nothing shown for MusicGPT
    assert not form.plan_label.isVisible()
    form.set_context(FormContext(kind=LOCAL))  # back to local: shown at once
    assert form.plan_label.isVisible() and form.plan_label.text().startswith("Will add: soft")
    # a job's fields restored (the song opened again): its plan at once, not after a pause
    form.set_fields({"prompt": "a loud drum fill"})
    assert form.plan_label.text() == ("Will add: loud drum fill over the region, song kept "
                                      "underneath")


@pytest.fixture
def editor(window, tmp_path):
    backends = Backends(BackendSettings(kind="", base_url="https://x.invalid"), NoKey(),
                        server_dir=tmp_path / "server", server_engine="quick",
                        server_engine_pool=engine_pool())
    services, features = install_all(window, tmp_path, keys=NoKey(), backends=backends)
    yield window, services, features
    services.jobs.shutdown()


@pytest.mark.slow
def test_a_versions_played_part_is_exported_as_midi(qtbot, editor, tmp_path):
    window, services, features = editor
    jobs, keep = features.jobs, features.keep
    load(qtbot, window, make_song(tmp_path / "My Song.wav", seconds=12.0))
    window.region.set(4.0, 8.0)
    for i in (1, 2):  # nothing shown yet: nothing to export
        assert not keep.midi_actions[i].isEnabled()
        assert not keep.panel.midi_buttons[i].isEnabled()
    # A real local job (loopback server, quick engine) whose prompt asks for no part.
    job = jobs.controller.submit({"prompt": "more of the same", "num_outputs": 2},
                                 source=jobs.source()[0], start=4.0, end=8.0,
                                 upload_path=jobs.source()[1],
                                 reference=window.document.audio)
    qtbot.waitUntil(lambda: jobs.controller.job(job.id).stage is Stage.DONE
                    and not jobs.controller.is_running(job.id), timeout=TIMEOUT_MS)
    # its versions are shown as it finishes; none has a part
    qtbot.waitUntil(lambda: keep.shown_job is not None and len(keep.session.offers) == 2,
                    timeout=TIMEOUT_MS)
    assert not keep.midi_actions[2].isEnabled()
    job = jobs.controller.job(job.id)
    # The server side writes the part's MIDI into the job's cache folder and names it on the
    # result (it lands separately): done here the same way, for Version 2 only.
    result = job.result(2)
    assert result is not None and result.path  # the downloaded version, in the job's folder
    midi = write_midi(Path(result.path).parent / "v2.mid",
                      [Note(4.0 + 0.5 * k, 60 + 2 * k, 90, 0.45, 24, 0) for k in range(8)],
                      Harmony([0.5 * k for k in range(30)], [k % 4 + 1 for k in range(30)], 4,
                              ["C"] * 30, "C major"))
    result.midi_path = str(midi)
    jobs.controller.store.set_result(job.id, result)

    jobs.show_job(job.id)  # shown again: now Version 2 has its part
    qtbot.waitUntil(lambda: keep.midi_actions[2].isEnabled(), timeout=TIMEOUT_MS)
    assert not keep.midi_actions[1].isEnabled() and not keep.panel.midi_buttons[1].isEnabled()
    assert keep.midi_actions[1].toolTip().startswith(
        "Version 1 has no played part: its prompt asked for none")
    assert keep.panel.midi_buttons[2].isEnabled()
    assert keep.export_part_midi(1) is None  # said why, no dialog
    assert window.statusBar().currentMessage().startswith("Version 1 has no played part")

    dialog = keep.export_part_midi(2)
    assert dialog is not None
    assert dialog.selectedFiles()[0].endswith("My Song – version 2 part.mid")
    dialog.close()
    # never over the song that is open
    song_bytes = Path(window.document.path).read_bytes()
    assert not keep.save_part_midi(2, window.document.path)
    assert Path(window.document.path).read_bytes() == song_bytes
    target = tmp_path / "out" / "My Song – version 2 part.mid"
    with qtbot.waitSignal(services.exporter.finished, timeout=10000):
        assert keep.save_part_midi(2, str(target))
    assert target.read_bytes() == midi.read_bytes()
    assert read_midi(target) == read_midi(midi)
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no temporary left

    # Listed with its key in Help ▸ Keyboard shortcuts, under File.
    shortcuts = window.show_shortcuts()
    qtbot.addWidget(shortcuts)
    table = shortcuts.table
    rows = [(table.item(r, 0).text(), table.item(r, 1).text()) for r in range(table.rowCount())]
    assert ("Export Version 2's played part as MIDI", "Ctrl+Alt+2") in rows
    heading = max(r for r in shortcuts.group_rows
                  if r < rows.index(("Export Version 2's played part as MIDI", "Ctrl+Alt+2")))
    assert table.item(heading, 0).text() == "File"
    shortcuts.close()
