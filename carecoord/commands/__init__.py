"""Sub-commands of the `carecoord` command line, one module per feature.

Each module has ``register(subparsers, common)``; ``carecoord.cli`` lists the modules.
"""
