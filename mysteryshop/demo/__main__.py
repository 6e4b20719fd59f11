import sys

from mysteryshop.demo.process import main

sys.exit(main())
