/** One stored value's address: the 4-tuple that identifies a row of `kv`. */
export interface Address {
  project: string;
  namespace: string;
  key: string;
  /** The `__context` suffix; `null` when absent. `''` is possible in files the Rust CLI wrote. */
  context: string | null;
}

/** A stored row. Timestamps are Unix seconds, as the Rust CLI writes them. */
export interface Entry extends Address {
  value: string;
  createdAt: number;
  updatedAt: number;
  expiresAt: number | null;
}

export interface TtlNamespace {
  project: string;
  namespace: string;
  defaultTtl: number;
  createdAt: number;
}

/** Progress and cancellation for operations that can take a while (import, export, backup). */
export interface LongOperationOptions {
  signal?: AbortSignal;
  /** Called with the fraction done (0..1) and a short human description. */
  onProgress?: (fraction: number, message: string) => void;
}

export interface Disposable {
  dispose(): void;
}
