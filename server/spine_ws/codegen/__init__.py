"""The code generator: schema trees -> Python models and TypeScript types.

`make gen` runs it on this repository's `schema/`; `spine-ws gen` on a simulation's own
schemas laid over the core's. The server never imports it (it needs the `gen` extra).
"""
