"""The local session player in the window (issue 17, the GUI half): the job form says in words
what the local player will do with the prompt as it is typed (and nothing for MusicGPT), and a
version's played part is exported as MIDI from the File menu and the Keep dock — only when the
local server wrote one for it, as a byte-identical copy."""

from __future__ import annotations

from PySide6.QtTest import QTest

from inpaint_studio.backends.backend import LOCAL, MUSICGPT
from inpaint_studio.gui.job_form import FormContext, JobForm


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
    assert form.plan_label.text() == ("Will add: loud drums fill over the region, song kept "
                                      "underneath")

