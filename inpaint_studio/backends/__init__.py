"""Where jobs go, headless: the two backends (the local server on 127.0.0.1 and MusicGPT), their
settings as a value, and the API key's store. No Qt: the CLI and the scripting API use these
directly; the GUI gets them from the composition root (app.py)."""
