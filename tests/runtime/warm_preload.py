"""Imported ahead of time by the warm-command tests' zygote: its presence in a
container's `sys.modules` shows the container was forked warm."""
