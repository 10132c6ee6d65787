"""`python -m erp_tui` runs the command line."""

import sys

from erp_tui.cli import main

sys.exit(main())
