/**
 * Consent for `.prontodb` files, as direnv asks for `.envrc`: a repository someone clones may carry
 * a `.prontodb` that redirects the user's (or an agent's) writes, secrets included, into a file of
 * that repository or to a server. Such a file is obeyed only after `prontodb allow` in its folder;
 * the allow list remembers the file's path and the hash of its content, so a changed file needs a
 * new `allow`. A `.prontodb` that only names databases or cursors inside the data directory (and
 * defaults: user, project, namespace) cannot send data anywhere new and is obeyed without one.
 * The extension decides with VS Code's workspace trust instead (service.ts).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomically } from './atomicFile';
import { ProntoError } from './errors';
import { isUrlLocation } from './location';
import type { Layout } from './paths';
import { findWorkdirFile, readWorkdirConfig, type WorkdirConfig } from './workdir';

export const ALLOW_LIST_NAME = 'allowed-workdirs.json';
/**
 * Consent given by the program that started this one, for exactly one file and content:
 * `<path of the .prontodb>#<sha256 of its content>`. VS Code sets it for its terminals and the MCP
 * server it offers when the workspace is trusted, so they agree with the sidebar. Environment
 * variables come from the user's own session, never from a cloned repository.
 */
export const CONSENT_VARIABLE = 'PRONTODB_ALLOWED_WORKDIR';

interface AllowEntry {
  file: string;
  sha256: string;
  allowedAt: string;
}

export function allowListFile(layout: Layout): string {
  return path.join(layout.cursorCacheDir, ALLOW_LIST_NAME);
}

export function digestOf(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function readAllowList(layout: Layout): AllowEntry[] {
  try {
    const parsed = JSON.parse(fs.readFileSync(allowListFile(layout), 'utf8')) as { entries?: unknown };
    return Array.isArray(parsed.entries) ? (parsed.entries as AllowEntry[]).filter((entry) => typeof entry?.file === 'string' && typeof entry.sha256 === 'string') : [];
  } catch {
    return []; // none yet (or unreadable: nothing is allowed, which is the safe side)
  }
}

async function writeAllowList(layout: Layout, entries: AllowEntry[]): Promise<void> {
  fs.mkdirSync(layout.cursorCacheDir, { recursive: true });
  await writeFileAtomically(allowListFile(layout), Buffer.from(`${JSON.stringify({ version: 1, entries }, null, 2)}\n`), 0o600);
}

function inside(directory: string, location: string): boolean {
  const relative = path.relative(directory, location);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

/**
 * What in a `.prontodb` points outside the data directory (a file elsewhere, a server): the
 * reasons it needs consent. Empty: harmless.
 */
export function redirections(config: WorkdirConfig, layout: Layout): string[] {
  const reasons: string[] = [];
  const check = (where: string, location: string | undefined): void => {
    if (location === undefined) return;
    if (isUrlLocation(location)) reasons.push(`${where} names a server`);
    else if (!inside(layout.dataDir, location)) reasons.push(`${where} points at ${location}, outside the data directory`);
  };
  check('path', config.path);
  for (const [cursor, location] of Object.entries(config.cursors)) check(`cursors.${cursor}`, location);
  for (const [user, cursors] of Object.entries(config.users)) {
    for (const [cursor, location] of Object.entries(cursors)) check(`users.${user}.${cursor}`, location);
  }
  return reasons;
}

export type WorkdirDecision =
  | { config: WorkdirConfig | undefined; ignored?: undefined }
  /** A `.prontodb` that redirects data and was not allowed (or changed since): acted on as if absent. */
  | { config: undefined; ignored: { file: string; reason: string } };

/** The `.prontodb` in effect for `directory` under the consent rule, or why the one found was ignored. */
export function loadTrustedWorkdir(directory: string, layout: Layout, env: Record<string, string | undefined> = {}): WorkdirDecision {
  const file = findWorkdirFile(directory);
  if (!file) return { config: undefined };
  const config = readWorkdirConfig(file);
  const reasons = redirections(config, layout);
  if (reasons.length === 0) return { config };
  const digest = digestOf(file);
  if (env[CONSENT_VARIABLE] === `${file}#${digest}`) return { config };
  const entry = readAllowList(layout).find((each) => each.file === file);
  if (entry && entry.sha256 === digest) return { config };
  const folder = path.dirname(file);
  const why = entry ? 'it changed since it was allowed' : 'it was not allowed';
  return {
    config: undefined,
    ignored: { file, reason: `ignored ${file}: ${reasons.join('; ')}, and ${why}. If you trust it, run 'prontodb allow' in ${folder}` },
  };
}

/** `prontodb allow`: trusts the `.prontodb` in effect for `directory`, as it is now. */
export async function allowWorkdir(directory: string, layout: Layout): Promise<{ file: string; reasons: string[] }> {
  const file = findWorkdirFile(directory);
  if (!file) throw new ProntoError('not-found', `No .prontodb in ${directory} or above`);
  const reasons = redirections(readWorkdirConfig(file), layout);
  const entries = readAllowList(layout).filter((entry) => entry.file !== file);
  entries.push({ file, sha256: digestOf(file), allowedAt: new Date().toISOString() });
  await writeAllowList(layout, entries);
  return { file, reasons };
}

/** `prontodb deny`: revokes the consent for the `.prontodb` in effect for `directory`. Returns whether it had one. */
export async function denyWorkdir(directory: string, layout: Layout): Promise<{ file: string; revoked: boolean }> {
  const file = findWorkdirFile(directory);
  if (!file) throw new ProntoError('not-found', `No .prontodb in ${directory} or above`);
  const entries = readAllowList(layout);
  const kept = entries.filter((entry) => entry.file !== file);
  if (kept.length !== entries.length) await writeAllowList(layout, kept);
  return { file, revoked: kept.length !== entries.length };
}
