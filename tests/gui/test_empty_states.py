"""What the transport and the job list offer before there is anything to act on."""

from __future__ import annotations

from tests.gui.conftest import install_all, load, make_window


def test_transport_and_job_buttons_follow_what_there_is(qtbot, settings, workers, studio_home,
                                                        audio_file, tmp_path):
    win = make_window(settings, workers)
    qtbot.addWidget(win)
    services, features = install_all(win, tmp_path)
    win.show()
    bar = features.compare.bar
    # no song: the three sources are named plainly and nothing can be played
    assert [b.text() for b in bar.source_buttons] == ["1  Original", "2  Version 1",
                                                      "3  Version 2"]
    assert not any(b.isEnabled() for b in bar.source_buttons)
    assert not bar.play_button.isEnabled() and not bar.loop_button.isEnabled()
    assert bar.hearing_label.text() == "Hearing: —"
    jobs = features.jobs.list
    buttons = (jobs.cancel_button, jobs.resume_button, jobs.retry_button, jobs.find_button,
               jobs.show_button, jobs.remove_button)
    assert not any(b.isEnabled() for b in buttons)  # an empty list: nothing selected
    # a song: the original plays; the versions stay off until a job brings them
    load(qtbot, win, audio_file(".flac", seconds=6.0))
    qtbot.waitUntil(lambda: bar.source_buttons[0].isEnabled(), timeout=5000)
    assert bar.play_button.isEnabled() and bar.loop_button.isEnabled()
    assert [b.isEnabled() for b in bar.source_buttons] == [True, False, False]
    assert [b.text() for b in bar.source_buttons][1:] == ["2  Version 1", "3  Version 2"]
    assert not any(b.isEnabled() for b in buttons)
    services.shutdown()
