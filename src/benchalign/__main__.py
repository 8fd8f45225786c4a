"""``python -m benchalign`` runs the command line."""

from .cli import main

main()
