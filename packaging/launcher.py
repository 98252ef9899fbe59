"""Entry script of the frozen app (packaging/inpaint-studio.spec): the same `main` as the
`inpaint-studio` console script, after `freeze_support` so that the local server's engine
process (multiprocessing, spawn) starts the frozen executable as a worker, not a second app."""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from inpaint_studio.cli import main

    sys.exit(main())
