import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Why the file channel could not use or create `dir`, found without creating anything; undefined
 * when it can. A missing directory is fine when its nearest existing ancestor is a directory this
 * process may write into (that is what a recursive mkdir needs); an existing path must be a
 * directory this process may write into. Synchronous: it runs during configuration checks.
 */
export function dirProblem(dir: string): string | undefined {
  const target = path.resolve(dir);
  let current = target;
  for (;;) {
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(current);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTDIR') {
        // A component above `current` is a file; keep walking up to name it.
      } else if (code === 'EACCES') {
        return `permission denied: ${path.dirname(current)} cannot be searched`;
      } else if (code !== 'ENOENT') {
        return `${(err as Error).message}`;
      }
    }
    if (stat !== undefined) {
      if (!stat.isDirectory()) return current === target ? `${target} exists and is not a directory` : `${current} is not a directory`;
      try {
        fs.accessSync(current, fs.constants.W_OK | fs.constants.X_OK);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EROFS') return `${current} is on a read-only file system`;
        return current === target ? `permission denied: ${target} is not writable` : `permission denied: cannot create a directory in ${current}`;
      }
      return undefined;
    }
    const parent = path.dirname(current);
    if (parent === current) return `no existing ancestor of ${target}`;
    current = parent;
  }
}
