"""`python -m coworkbot`: the same as the `coworkbot` command."""

import sys

from coworkbot import main

sys.exit(main())
