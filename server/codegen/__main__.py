"""`python -m codegen [--check]`: regenerate (or check) every file generated from schema/."""

import sys

from codegen.generate import main

sys.exit(main())
