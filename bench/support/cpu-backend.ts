// Owns telling which ggml CPU backend file a running llama.cpp process loaded (Linux): with
// GGML_BACKEND_DL each CPU variant is its own libggml-cpu-<variant>.so, picked at start for the host, so
// a side-by-side bench checks that both sides mapped the very same file (identical kernels).
import { readFileSync } from 'node:fs';

/** The libggml-cpu*.so paths mapped into the process, or [] when it is gone or none is mapped. */
export function loadedCpuBackends(pid: number | undefined): string[] {
  if (pid === undefined) return [];
  try {
    const maps = readFileSync(`/proc/${pid}/maps`, 'utf8');
    return [...new Set(maps.match(/\/\S*libggml-cpu[^/\s]*\.so\S*/g) ?? [])];
  } catch {
    return [];
  }
}
