"""The CLI's commands, one module per command (or small group), each with `register(app)`."""
