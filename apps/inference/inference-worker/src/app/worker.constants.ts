// Injection tokens of the worker app: the validated config, the started engine and the service logger
// are built before Nest (a bad model must stop the process before any port opens) and provided as values.
export const WORKER_CONFIG = Symbol('WORKER_CONFIG');
export const INFERENCE_ENGINE = Symbol('INFERENCE_ENGINE');
export const WORKER_LOGGER = Symbol('WORKER_LOGGER');
export const MODEL_IDENTITY = Symbol('MODEL_IDENTITY');

/** Which weights this worker serves: the id callers must name and the file's sha256. */
export interface ModelIdentity {
  readonly id: string;
  readonly sha256: string;
}

/** The name health checks and the gateway use for this service. */
export const INFERENCE_SERVICE_HEALTH_NAME = 'hearth.inference.v1.InferenceWorkerService';
