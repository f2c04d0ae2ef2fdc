// Owns the logging surface the engine needs: a structural subset of pino's Logger, so the worker
// passes its service logger and specs pass a silent one. Log fields carry sizes and ids, never text.
export interface EngineLogger {
  debug(fields: object, message?: string): void;
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
}

export const silentLogger: EngineLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
