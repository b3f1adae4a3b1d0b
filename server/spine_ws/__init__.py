"""spine-ws: a schema-first WebSocket link between a running simulation and its frontends.

The package is built from two source roots: this folder (hand-written) and
`generated/spine_ws/` (its `generated` subpackage, written by `make gen`). An installed
wheel holds both in one folder; in a checkout, `extend_path` joins them.
"""

from pkgutil import extend_path

__path__ = extend_path(__path__, __name__)
__version__ = "0.1.0"
