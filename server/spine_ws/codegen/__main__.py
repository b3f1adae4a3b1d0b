"""`python -m spine_ws.codegen [--check] [--root DIR]`: this repository's generated files."""

import sys

from spine_ws.codegen.generate import main

sys.exit(main())
