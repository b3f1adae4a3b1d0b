"""Build-time tools: the contract loader and the code generator (`make gen`).

Not part of the installed package: the runtime (`spine_ws`) never imports this.
"""
