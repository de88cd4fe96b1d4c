"""What a run left behind, as JSON: its artifacts, metrics, archived step logs, lineage.

A "run" is an Argo Workflow, named by its name or — for runs started through the
KFP API — by its KFP run id (the workflow's `pipeline/runid` label), so one route
serves a plain Argo workflow, a KFP v1 package's run and a KFP v2 pipeline's run.
Argo steps' artifacts come from the workflow's nodes (`outputs.artifacts[].kflow`),
KFP v2 tasks' from the pipeline metadata (types, metadata, cache origin). Every
route is namespaced and needs `get` on the namespace's workflows (archived logs
also `get` on `pods/log`), like reading the workflow itself. The dashboard and the
`kflow` CLI (`get artifacts`, `describe run`, `lineage`, `logs`) read these routes.
"""
