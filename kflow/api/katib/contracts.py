"""Katib's names and defaults, as one table the API, the controllers, docs and tests read.

Everything here is Katib's own contract at `kubeflow.org/v1beta1`: the allowed values
of enumerated fields, the defaults its mutating webhook fills in, and the conditions
its controller uses to judge a trial's workload. Keeping them in one place means the
defaulter, the validator and (later) the experiment controller cannot disagree.
"""

from __future__ import annotations

GROUP = "kubeflow.org"
VERSION = "v1beta1"
API_VERSION = f"{GROUP}/{VERSION}"

MAX_EXPERIMENT_NAME_LENGTH = 40
"""Katib's limit: trial and suggestion names are derived from the experiment's."""

OBJECTIVE_TYPES = ("minimize", "maximize")
PARAMETER_TYPES = ("double", "int", "discrete", "categorical")
NUMERIC_PARAMETER_TYPES = ("double", "int")
LIST_PARAMETER_TYPES = ("discrete", "categorical")
DISTRIBUTIONS = ("uniform", "logUniform", "normal", "logNormal")
RESUME_POLICIES = ("Never", "LongRunning", "FromVolume")
COLLECTOR_KINDS = (
    "StdOut",
    "File",
    "TensorFlowEvent",
    "PrometheusMetric",
    "Custom",
    "None",
    "Push",
)
FILE_FORMATS = ("TEXT", "JSON")

DEFAULT_PARALLEL_TRIAL_COUNT = 3
DEFAULT_RESUME_POLICY = "Never"
DEFAULT_COLLECTOR_KIND = "StdOut"
DEFAULT_DISTRIBUTION = "uniform"
DEFAULT_METRICS_FILE = "/var/log/katib/metrics.log"
DEFAULT_TFEVENT_DIR = "/var/log/katib/tfevent/"
DEFAULT_PROMETHEUS_PATH = "/metrics"
DEFAULT_PROMETHEUS_PORT = 8080

EXTRACT_BY_MIN, EXTRACT_BY_MAX, EXTRACT_BY_LATEST = "min", "max", "latest"

JOB_SUCCESS_CONDITION = 'status.conditions.#(type=="Complete")#|#(status=="True")#'
JOB_FAILURE_CONDITION = 'status.conditions.#(type=="Failed")#|#(status=="True")#'
KUBEFLOW_JOB_SUCCESS_CONDITION = 'status.conditions.#(type=="Succeeded")#|#(status=="True")#'
KUBEFLOW_JOB_FAILURE_CONDITION = 'status.conditions.#(type=="Failed")#|#(status=="True")#'
KUBEFLOW_JOB_KINDS = ("TFJob", "PyTorchJob", "XGBoostJob", "MPIJob")
KUBEFLOW_JOB_PRIMARY_POD_LABELS = {"training.kubeflow.org/job-role": "master"}

TRIAL_PARAMETER_FORMAT = "${{trialParameters.{name}}}"
"""How the trial template names a trial parameter: `${trialParameters.lr}`."""
TRIAL_PARAMETER_PATTERN = r"\$\{trialParameters\.[^}]+\}"
META_REFERENCE_KEYS = ("Name", "Namespace", "Kind", "APIVersion", "Labels", "Annotations")
"""What `${trialSpec.<key>}` may name in a trial parameter's reference."""

ALGORITHMS = (
    "random",
    "grid",
    "tpe",
    "multivariate-tpe",
    "bayesianoptimization",
    "cmaes",
    "sobol",
    "hyperband",
    "pbt",
    "enas",
    "darts",
    "asha",
    "nsga2",
)
"""Search algorithms an Experiment may name: the suggestion services of Katib's default
config, plus `asha` and `nsga2`, kflow extensions. Katib rejects a name its config
lacks; `enas` and `darts` (NAS) are refused when the search is validated."""
EARLY_STOPPING_ALGORITHMS = ("medianstop",)
"""Early-stopping algorithms an Experiment may name (Katib's default config)."""
