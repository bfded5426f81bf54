"""python -m crm.cli: the same as the crm command."""

import sys

from crm.cli import main

sys.exit(main())
