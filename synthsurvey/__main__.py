"""``python -m synthsurvey``: the command line (see ``interfaces.cli``)."""

import sys

from .interfaces.cli import main

sys.exit(main())
