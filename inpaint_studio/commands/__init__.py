"""Headless CLI commands, one module each, registered in inpaint_studio.cli."""
