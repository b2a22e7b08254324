/**
 * The password file as libpq reads it (`~/.pgpass`, or the file `PGPASSFILE` or `passfile=` names):
 * one `host:port:database:username:password` per line, `*` matching anything in the first four
 * fields, `\:` and `\\` escaping, `#` starting a comment. On POSIX a file that others may read or
 * write is ignored with a warning, as libpq does. Driver-free, so it is unit-tested on its own.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** What a password is looked up for; `host` is the name as written in the URL (`localhost` for a socket). */
export interface PasswordRequest {
  host: string;
  port: string;
  database: string;
  user: string;
}

/** One line's fields, unescaped; undefined for a comment, a blank line or a line with fewer than five fields. */
export function parsePgpassLine(line: string): string[] | undefined {
  const text = line.replace(/\r$/, '');
  if (text.trim() === '' || text.startsWith('#')) return undefined;
  const fields: string[] = [];
  let current = '';
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    if (char === '\\' && index + 1 < text.length) {
      current += text[++index];
    } else if (char === ':' && fields.length < 4) {
      fields.push(current);
      current = '';
    } else if (char === ':') {
      break; // libpq ends the password at its first unescaped colon
    } else {
      current += char;
    }
  }
  fields.push(current);
  return fields.length === 5 ? fields : undefined;
}

/**
 * Whether a field matches: `*` matches anything, otherwise the unescaped text must equal the value.
 * libpq reads `*` as a wildcard only when it is the whole, unescaped field.
 */
function rawFieldIsWildcard(line: string, fieldIndex: number): boolean {
  let field = 0;
  let start = 0;
  for (let index = 0; index < line.length; index++) {
    if (line[index] === '\\') {
      index++;
    } else if (line[index] === ':') {
      if (field === fieldIndex) return line.slice(start, index) === '*';
      field++;
      start = index + 1;
    }
  }
  return false;
}

/** The password of the first line matching `request` in the text of a password file. */
export function findPgpassPassword(text: string, request: PasswordRequest): string | undefined {
  const wanted = [request.host, request.port, request.database, request.user];
  for (const line of text.split('\n')) {
    const fields = parsePgpassLine(line);
    if (!fields) continue;
    const raw = line.replace(/\r$/, '');
    if (wanted.every((value, index) => rawFieldIsWildcard(raw, index) || fields[index] === value)) {
      return fields[4] === '' ? undefined : fields[4];
    }
  }
  return undefined;
}

/** The password file libpq would read: `passfile=` in the URL, then PGPASSFILE, then ~/.pgpass (%APPDATA%\postgresql\pgpass.conf on Windows). */
export function pgpassFile(passfile: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (passfile) return passfile;
  if (env.PGPASSFILE) return env.PGPASSFILE;
  if (process.platform === 'win32' && env.APPDATA) return path.join(env.APPDATA, 'postgresql', 'pgpass.conf');
  return path.join(env.HOME || os.homedir(), '.pgpass');
}

/**
 * The password for `request` from the password file, or undefined. A missing file says nothing; a
 * file others may read is skipped with a warning (never showing its content), as libpq does.
 */
export function readPgpassPassword(file: string, request: PasswordRequest, warn: (line: string) => void): string | undefined {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    return undefined;
  }
  if (!stat.isFile()) {
    warn(`warning: password file "${file}" is not a plain file`);
    return undefined;
  }
  if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
    warn(`warning: password file "${file}" has group or world access; permissions should be u=rw (0600) or less; it is ignored`);
    return undefined;
  }
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  return findPgpassPassword(text, request);
}
