/** The header fields Flume can keep in a syslog event's body. */
export type SyslogField = 'priority' | 'version' | 'timestamp' | 'hostname';

/** What `keepFields` asks for: the whole raw message, or some header fields before the message. */
export type KeepFields = { readonly all: true } | { readonly all: false; readonly fields: ReadonlySet<SyslogField> };

const FIELDS: readonly SyslogField[] = ['priority', 'version', 'timestamp', 'hostname'];

/**
 * Reads a `keepFields` value as Flume does: `none`/`false` keep nothing, `all`/`true` keep the
 * raw message, else a whitespace-separated subset of `priority version timestamp hostname`.
 * Returns an error message for any other word (Flume ignores it silently).
 */
export function parseKeepFields(value: string): KeepFields | string {
  const text = value.trim().toLowerCase();
  if (text === 'none' || text === 'false' || text === '') return { all: false, fields: new Set() };
  if (text === 'all' || text === 'true') return { all: true };
  const fields = new Set<SyslogField>();
  for (const word of text.split(/\s+/)) {
    const field = FIELDS.find((f) => f === word);
    if (field === undefined) {
      return `keepFields: "${word}" is not one of none, all, true, false, ${FIELDS.join(', ')}`;
    }
    fields.add(field);
  }
  return { all: false, fields };
}
