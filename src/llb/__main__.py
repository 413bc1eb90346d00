import sys

from llb.cli import main

sys.exit(main())
