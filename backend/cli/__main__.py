"""`python -m threedraw.cli` is the `threedraw` command."""

import sys

from . import main

sys.exit(main())
