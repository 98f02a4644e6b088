"""`python -m threedraw` is the `threedraw` command."""

import sys

from .cli import main

sys.exit(main())
