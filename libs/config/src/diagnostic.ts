/** One problem found in a configuration file, with the line it is about. */
export interface Diagnostic {
  readonly severity: 'error' | 'warning';
  readonly file: string;
  /** 1-based line; 0 when the problem concerns the whole file (unreadable file, unknown agent). */
  readonly line: number;
  readonly message: string;
}

/** Collects problems while a configuration is being checked. */
export type Report = (severity: Diagnostic['severity'], line: number, message: string) => void;
