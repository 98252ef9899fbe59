"""Qt adapters (QtCore only) between the headless packages and the widgets."""
