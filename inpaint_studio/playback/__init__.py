"""The audio output: a mixer over prepared sources on one timeline and the output stream. No Qt."""
