"""The local MusicGPT-compatible HTTP server that runs the local engine. No Qt."""
