"""The bundle's entry point: the same ``main`` as the ``crm`` command and the desktop app."""

import sys

from crm.cli import main

if __name__ == "__main__":
    sys.exit(main())
