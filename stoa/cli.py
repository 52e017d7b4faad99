"""The `stoa` command: Stoa's own subcommands and every Django management command.

stoa course validate PATH      stoa transcript from-text FILE | convert FILE
stoa data export|import SLUG --run N PATH
stoa demo                      stoa migrate, stoa createsuperuser, ...
stoa serve                     the production server (stoa.serve)
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stoa.settings")
    if sys.argv[1:2] == ["serve"]:
        from stoa.serve import main as serve

        return serve(sys.argv[2:])
    from django.core.management import execute_from_command_line

    execute_from_command_line(["stoa", *sys.argv[1:]])


if __name__ == "__main__":
    main()
