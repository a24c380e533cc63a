"""``python -m osteotwin`` runs the command-line interface (same as the ``osteotwin`` script)."""

from osteotwin.cli import main

main()
