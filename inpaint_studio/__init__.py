"""Inpaint Studio: replace one section of a song with AI, compare the versions, keep the best."""

from inpaint_studio.identity import VERSION as __version__

__all__ = ["__version__"]
