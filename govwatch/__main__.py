"""``python -m govwatch``: the same as the ``govwatch`` command."""

from govwatch.cli import main

if __name__ == "__main__":
    main()
