"""The Kubeflow Pipelines API (`/apis/v2beta1`) as data: its enums, errors and rules.

Pure functions and values the KFP routes, the record store and the recurring-run
scheduler share: `states` (KFP's enums and the Argo phase table), `errors` (gRPC
codes, HTTP statuses and bodies), `times`, `filters` and `listing` (list calls),
`packages` (pipeline packages: KFP IR or Argo Workflow), `schedules` (cron and
periodic triggers) and `macros` (`[[RunUUID]]`, `[[ScheduledTime]]`, ...).
"""
