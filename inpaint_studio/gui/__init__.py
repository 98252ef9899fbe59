"""Widgets: the main window, waveform views, forms, lanes, dialogs."""
