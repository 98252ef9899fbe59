"""PySide6 6.12.0 on Python 3.11 drops a reference to None on every void Qt call, and the
process dies after a few thousand (`Fatal Python error: none_dealloc`). Guard the pin."""

from __future__ import annotations

import sys


def test_void_qt_calls_do_not_leak_none_references(qapp):
    from PySide6.QtCore import QObject, QTimer

    obj = QObject()
    timer = QTimer()
    before = sys.getrefcount(None)
    for i in range(20000):
        obj.setObjectName("x")  # returns void
        timer.setInterval(i % 100)  # returns void
    after = sys.getrefcount(None)
    assert after >= before - 100, f"None refcount fell by {before - after}"
