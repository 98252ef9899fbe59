"""What the transport and the job list offer before there is anything to act on."""

from __future__ import annotations

from inpaint_studio import app as composition
from inpaint_studio.gui.main_window import MainWindow
from tests.gui.conftest import load


def _feature(win, name):
    return next(f for f in win._features if type(f).__name__ == name)


def test_transport_and_job_buttons_follow_what_there_is(qtbot, settings, workers, studio_home,
                                                        audio_file):
    win = MainWindow(settings, workers, interactive=False)
    qtbot.addWidget(win)
    win._features = composition.install_features(win, screenshot=True)
    win.show()
    bar = win.compare.bar
    # no song: the three sources are named plainly and nothing can be played
    assert [b.text() for b in bar.source_buttons] == ["1  Original", "2  Version 1",
                                                      "3  Version 2"]
    assert not any(b.isEnabled() for b in bar.source_buttons)
    assert not bar.play_button.isEnabled() and not bar.loop_button.isEnabled()
    assert bar.hearing_label.text() == "Hearing: —"
    jobs = _feature(win, "JobsFeature").list
    buttons = (jobs.cancel_button, jobs.resume_button, jobs.retry_button, jobs.find_button,
               jobs.show_button, jobs.remove_button)
    assert not any(b.isEnabled() for b in buttons)  # an empty list: nothing selected
    # a song: the original plays; the takes stay off until a job brings them
    load(qtbot, win, audio_file(".flac", seconds=6.0))
    qtbot.waitUntil(lambda: bar.source_buttons[0].isEnabled(), timeout=5000)
    assert bar.play_button.isEnabled() and bar.loop_button.isEnabled()
    assert [b.isEnabled() for b in bar.source_buttons] == [True, False, False]
    assert [b.text() for b in bar.source_buttons][1:] == ["2  Version 1", "3  Version 2"]
    assert not any(b.isEnabled() for b in buttons)
    win.player.close()
