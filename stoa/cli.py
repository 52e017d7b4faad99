"""The `stoa` command: Stoa's own subcommands and every Django management command.

stoa course validate PATH      stoa transcript from-text FILE
stoa demo                      stoa migrate, stoa createsuperuser, ...
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stoa.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["stoa", *sys.argv[1:]])


if __name__ == "__main__":
    main()
