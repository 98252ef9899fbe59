"""`python -m inpaint_studio`: the same entry as the `inpaint-studio` command."""

from inpaint_studio.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
