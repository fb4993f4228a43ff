"""``python -m endodecide``: the same as the ``endodecide`` command."""

from endodecide.cli import main

main()
