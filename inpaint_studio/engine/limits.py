"""What the local engine can fill: song and region lengths. A leaf of the engine with no heavy
imports, so the backends can check a job against them before anything is sent."""

MIN_REGION, MAX_REGION = 3.0, 60.0  # seconds
MAX_SONG = 10 * 60.0 + 5.0  # seconds: "songs up to 10 minutes"
