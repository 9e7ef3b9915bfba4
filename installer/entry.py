"""Bundle entry point: the same `carecoord` command as from source."""

import sys

from carecoord.cli import main

if __name__ == "__main__":
    sys.exit(main())
