"""Headless audio core: decode, encode, peaks, regions, alignment, splice. No Qt, no HTTP."""
