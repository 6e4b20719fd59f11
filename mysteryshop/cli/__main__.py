"""`python -m mysteryshop.cli`: the `mysteryshop` command."""

import sys

from mysteryshop.cli import main

sys.exit(main())
