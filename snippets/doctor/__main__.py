"""``python -m snippets.doctor``: see snippets/doctor/cli.py."""

import sys

from snippets.doctor import main

sys.exit(main())
