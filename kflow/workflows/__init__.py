"""Argo Workflows' template language, as a pure library.

The workflow controller calls it; it knows nothing of the store, the runtime or HTTP.
It holds what Argo's controller evaluates while it walks a workflow:

- `variables`: `{{...}}` substitution and `{{= expr}}` expression tags;
- `expr`: the expr-lang subset Argo uses (`{{= }}`, `valueFrom.expression`,
  `retryStrategy.expression`, hook expressions);
- `when`: step/task conditions with govaluate's semantics, after substitution;
- `depends`: DAG `depends`/`dependencies` logic and the Omitted rule;
- `params`: loops (`withItems`, `withParam`, `withSequence`), enums, JSONPath and
  aggregated loop outputs.
"""
