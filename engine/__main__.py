"""`python -m engine` runs the `sla` command line."""

import sys

from engine.cli import main

sys.exit(main())
