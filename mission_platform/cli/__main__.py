import sys

from mission_platform.cli.commands import main

sys.exit(main())
