"""`python -m kflow` is the `kflow` command.

`kflow serve` starts without importing the other commands: every InferenceService
replica runs it, and a service scaled to zero answers its first request only once
the server is up, so its start-up time is a cold start's.
"""

import sys


def _main() -> None:
    if sys.argv[1:2] == ["serve"]:
        from kflow.cli.commands.serve import main as serve

        serve(sys.argv[2:])
        return
    from kflow.cli.main import main

    main()


if __name__ == "__main__":
    _main()
