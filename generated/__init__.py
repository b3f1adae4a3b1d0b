# GENERATED from schema/ by `make gen` (server/codegen.py) - do not edit.
"""The spine-ws protocol: generated models, lookup tables and constants."""

from .catalog import *  # noqa: F403
from .models import *  # noqa: F403
