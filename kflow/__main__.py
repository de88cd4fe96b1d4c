"""`python -m kflow` is the `kflow` command."""

from kflow.cli.main import main

if __name__ == "__main__":
    main()
