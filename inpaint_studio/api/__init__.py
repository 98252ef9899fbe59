"""The MusicGPT HTTP client: request validation, upload, polling, downloads, typed errors. No Qt.

Modules: `models` (request/task dataclasses, wire mapping), `errors` (typed errors and the one
response → error mapping), `client` (MusicGPTClient), `multipart` (streaming upload body),
`download` (resumable verified downloads), `retry` (THE retry policy of every GET, poll and
download), `url_song` (a song fetched from a web address), `plans` (per-plan limits and
prices)."""
