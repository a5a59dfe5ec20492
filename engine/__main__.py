"""`python -m engine` runs the `sla` command line."""

import sys

from .cli import main

sys.exit(main())
