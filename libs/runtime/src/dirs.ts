import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

/** DESIGN §7: /run/sluice/<agent> as root, else $XDG_RUNTIME_DIR/sluice/<agent>, else a per-user dir under /tmp. */
export function defaultRunDir(agent: string): string {
  if (process.getuid?.() === 0) return join('/run/sluice', agent);
  const xdg = process.env['XDG_RUNTIME_DIR'];
  return xdg ? join(xdg, 'sluice', agent) : join(tmpdir(), `sluice-${process.getuid?.() ?? 'user'}`, agent);
}

/** DESIGN §7: /var/lib/sluice/<agent> as root, else ~/.local/share/sluice/<agent>. */
export function defaultDataDir(agent: string): string {
  if (process.getuid?.() === 0) return join('/var/lib/sluice', agent);
  return join(homedir(), '.local', 'share', 'sluice', agent);
}
