"""The local inpainting engine: fills a region of a song from the song's own material.

No Qt, no HTTP. Entry point: `inpaint_studio.engine.fill.fill_region`."""
