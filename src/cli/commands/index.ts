/**
 * The command table: every command of the CLI, declared once with its aliases, usage forms (which
 * are also its grammar), help text and handlers. `prontodb help` lists them in this order.
 */
import type { CommandSpec } from '../commandTable';
import { AGENT_COMMANDS } from './agents';
import { AUDIT_COMMANDS } from './audit';
import { BACKUP_COMMANDS } from './backup';
import { COPY_COMMANDS } from './copy';
import { CURSOR_COMMANDS } from './cursor';
import { DATA_COMMANDS } from './data';
import { DB_COMMANDS } from './db';
import { HEALTH_COMMANDS } from './health';
import { INFO_COMMANDS } from './info';
import { TRANSFER_COMMANDS } from './transfer';
import { TRUST_COMMANDS } from './trust';
import { UI_COMMANDS } from './ui';
import { TTL_COMMANDS } from './ttl';

export const COMMANDS: readonly CommandSpec[] = [
  ...DATA_COMMANDS,
  ...TTL_COMMANDS,
  ...AGENT_COMMANDS,
  ...DB_COMMANDS,
  ...TRUST_COMMANDS,
  ...BACKUP_COMMANDS,
  ...TRANSFER_COMMANDS,
  ...COPY_COMMANDS,
  ...HEALTH_COMMANDS,
  ...AUDIT_COMMANDS,
  ...UI_COMMANDS,
  ...CURSOR_COMMANDS,
  ...INFO_COMMANDS,
];
