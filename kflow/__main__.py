"""`python -m kflow` is the `kflow` command.

`python -m kflow serve` (how the InferenceService controller starts a model server)
loads only its own command: the whole CLI imports every kind's API and takes longer
to import than the model server takes to start, and a model server's start is its
scale-from-zero time.
"""

import sys

if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        from kflow.cli.commands.serve import main as serve
    else:
        from kflow.cli.main import main as serve
    serve()
