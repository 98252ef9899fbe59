"""The MusicGPT HTTP client: request validation, upload, polling, downloads, typed errors. No Qt."""
