"""``python -m ldlgn``: the ``ldlgn`` command (so ``torchrun -m ldlgn train --ddp ...`` can start it)."""

import sys

from .cli import main

sys.exit(main())
