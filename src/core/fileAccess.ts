/**
 * Whether this process may write a database file, asked without writing: a commit needs the file
 * itself (written in place) and its folder (the `<file>.lock` directory, temporary files of a whole
 * replace). A file not made yet needs the nearest folder that exists. Uses access(2), so it answers
 * for this user (root writes a 0444 file) and sees a read-only mount.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { WriteAccess } from './store';

function refusal(target: string): string | undefined {
  try {
    fs.accessSync(target, fs.constants.W_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'EROFS' ? `${target} is on a read-only file system` : `${target} is not writable by this user`;
  }
}

export function fileWriteAccess(file: string): WriteAccess {
  const targets: string[] = [];
  if (fs.existsSync(file)) targets.push(file, path.dirname(file));
  else {
    let folder = path.dirname(file);
    while (!fs.existsSync(folder) && path.dirname(folder) !== folder) folder = path.dirname(folder);
    targets.push(folder);
  }
  for (const target of targets) {
    const reason = refusal(target);
    if (reason !== undefined) return { writable: false, reason };
  }
  return { writable: true };
}
