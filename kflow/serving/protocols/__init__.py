"""The inference protocols, each a set of Starlette endpoints over one `ModelRepository`."""
