/**
 * The operations agents get, defined once: the MCP server (src/cli/mcp/) and the VS Code
 * language-model tools (src/extension/lmTools.ts) are thin adapters over this table, so a model
 * sees the same names, inputs, results and errors through either door. Each tool has a JSON schema
 * for its input and its structured result, honest hints (reads, writes, deletes, idempotence), and
 * a handler that takes a Session and returns text for the model plus structured data for programs.
 * Failures the caller can act on (bad address, miss, condition not met) are tool errors carrying
 * the core's message, never exceptions.
 */
import { formatAddress, MAX_TTL_SECONDS, printableName } from './address';
import { ConditionFailedError, isProntoError, ProntoError, usageError } from './errors';
import { displayLocation, isUrlLocation } from './location';
import type { ResolvedTarget, Session } from './pronto';
import type { Entry } from './types';
import { watchValue } from './watch';

export type JsonSchema = Record<string, unknown>;

export interface ToolAnnotations {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  /** Always false: a tool touches only the local store. */
  openWorldHint: false;
}

export interface ToolResult {
  /** What a model reads. */
  text: string;
  /** The same, for programs; matches the tool's outputSchema unless isError. */
  structured: Record<string, unknown>;
  isError?: boolean;
}

export interface ToolContext {
  /** The session the tool acts on, opened on demand (resolution decided by the host). */
  session(): Promise<Session>;
  /** Cancels a waiting tool (watch) when the caller goes away. */
  signal?: AbortSignal;
  /** Who is calling, for status: 'mcp' or 'vscode'. */
  client: string;
  /** Set when the host serves only the reading tools. */
  readOnly?: boolean;
}

export interface AgentTool {
  /** MCP tool name; the VS Code tool is `prontodb_<name>`. */
  name: string;
  title: string;
  /** For the model: what it does and when to use it. */
  description: string;
  inputSchema: JsonSchema;
  outputSchema: JsonSchema;
  annotations: ToolAnnotations;
  run(context: ToolContext, input: Record<string, unknown>): Promise<ToolResult>;
}

/** The watch tool waits at most this long per call (MCP clients time requests out after about a minute). */
export const WATCH_DEFAULT_SECONDS = 30;
export const WATCH_MAX_SECONDS = 300;
const LIST_DEFAULT_LIMIT = 200;
const LIST_MAX_LIMIT = 10_000;

// ---- schemas ---------------------------------------------------------------------------------

const ADDRESS = {
  type: 'string',
  description: 'project.namespace.key, namespace.key or key (missing parts use the database defaults), optionally ending in __context',
};
const PATH = {
  type: 'string',
  description: 'Optional: a key prefix, project.namespace, or project.namespace.prefix (exact, case-sensitive). Empty: the default namespace.',
};
const LIMIT = { type: 'integer', minimum: 1, maximum: LIST_MAX_LIMIT, description: `At most this many (default ${LIST_DEFAULT_LIMIT})` };

function object(properties: Record<string, JsonSchema>, required: string[] = []): JsonSchema {
  return { type: 'object', properties, required, additionalProperties: false };
}

const NULLABLE_STRING = { type: ['string', 'null'] };
const NULLABLE_TIME = { type: ['string', 'null'], description: 'ISO 8601 time, null: never' };

// ---- input checking (the host may not validate against the schema) ------------------------------

function checkInput(tool: string, schema: JsonSchema, input: unknown): Record<string, unknown> {
  const given = input ?? {};
  if (typeof given !== 'object' || Array.isArray(given)) throw usageError(`${tool}: the arguments must be an object`);
  const properties = schema.properties as Record<string, { type: string }>;
  for (const [name, value] of Object.entries(given)) {
    const property = properties[name];
    if (!property) throw usageError(`${tool}: unknown argument '${name}' (it takes ${Object.keys(properties).join(', ') || 'none'})`);
    if (value === undefined || value === null) continue;
    const ok = property.type === 'integer' ? Number.isSafeInteger(value) : typeof value === property.type;
    if (!ok) throw usageError(`${tool}: '${name}' must be ${property.type === 'integer' ? 'a whole number' : `a ${property.type}`}`);
  }
  for (const name of schema.required as string[]) {
    if ((given as Record<string, unknown>)[name] === undefined || (given as Record<string, unknown>)[name] === null) throw usageError(`${tool}: '${name}' is required`);
  }
  return given as Record<string, unknown>;
}

function limitOf(input: Record<string, unknown>): number {
  const limit = (input.limit as number | undefined) ?? LIST_DEFAULT_LIMIT;
  if (limit < 1 || limit > LIST_MAX_LIMIT) throw usageError(`'limit' must be from 1 to ${LIST_MAX_LIMIT}`);
  return limit;
}

function isoTime(seconds: number | null): string | null {
  return seconds === null ? null : new Date(seconds * 1000).toISOString();
}

function addressOf(session: Session, entry: Entry): string {
  return formatAddress(entry, session.defaults.delimiter);
}

/** Quotes a value for the text a model reads: JSON, so empty and multi-line values stay visible. */
function quoted(value: string): string {
  return JSON.stringify(value);
}

// ---- the tools ----------------------------------------------------------------------------------

const READ: ToolAnnotations = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };

export const AGENT_TOOLS: readonly AgentTool[] = [
  {
    name: 'get',
    title: 'Get a value',
    description:
      'Read the value stored at an address in the ProntoDB key-value store shared by the people and agents on this machine. A missing or expired key is an error result saying so.',
    inputSchema: object({ address: ADDRESS }, ['address']),
    outputSchema: object({ address: { type: 'string' }, value: { type: 'string' }, updated_at: { type: 'string' }, expires_at: NULLABLE_TIME }, ['address', 'value', 'updated_at', 'expires_at']),
    annotations: READ,
    async run(context, input) {
      const session = await context.session();
      const address = session.parse(input.address as string);
      const entry = await session.get(address);
      if (!entry) throw new ProntoError('not-found', `Nothing is stored at ${formatAddress(address, session.defaults.delimiter)}`);
      const structured = { address: addressOf(session, entry), value: entry.value, updated_at: isoTime(entry.updatedAt)!, expires_at: isoTime(entry.expiresAt) };
      return { text: entry.value, structured };
    },
  },
  {
    name: 'set',
    title: 'Set a value',
    description:
      'Store a value at an address. To claim work safely use if_absent (fails if someone else holds the key); to update only what you read use expect (compare-and-set). ' +
      'A lease is if_absent with ttl in a TTL namespace (made by the create-cache tool); renew it with expect set to your own value and ttl; it expires by itself if you stop. ' +
      'A failed condition is an error that says what is stored there now.',
    inputSchema: object(
      {
        address: ADDRESS,
        value: { type: 'string', description: 'The value (any text)' },
        if_absent: { type: 'boolean', description: 'Write only if nothing (live) is stored there' },
        expect: { type: 'string', description: 'Write only if the current value is exactly this' },
        ttl: { type: 'integer', minimum: 0, maximum: MAX_TTL_SECONDS, description: 'Seconds until the value expires; only in TTL namespaces' },
      },
      ['address', 'value'],
    ),
    outputSchema: object({ address: { type: 'string' }, written: { type: 'boolean' }, expires_at: NULLABLE_TIME }, ['address', 'written', 'expires_at']),
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    async run(context, input) {
      const session = await context.session();
      const address = session.parse(input.address as string);
      if (input.if_absent === true && input.expect !== undefined) throw usageError("Give either 'if_absent' or 'expect', not both");
      const expected = input.if_absent === true ? { value: undefined } : input.expect === undefined ? undefined : { value: input.expect as string };
      await session.set(address, input.value as string, { expected, ttlSeconds: input.ttl as number | undefined });
      const written = await session.get(address);
      const where = formatAddress(address, session.defaults.delimiter);
      const expiresAt = isoTime(written?.expiresAt ?? null);
      return { text: `Stored at ${where}${expiresAt ? ` until ${expiresAt}` : ''}`, structured: { address: where, written: true, expires_at: expiresAt } };
    },
  },
  {
    name: 'delete',
    title: 'Delete a value',
    description: 'Delete the value at an address. With expect, only if the current value is exactly that (release a lease you still own).',
    inputSchema: object({ address: ADDRESS, expect: { type: 'string', description: 'Delete only if the current value is exactly this' } }, ['address']),
    outputSchema: object({ address: { type: 'string' }, deleted: { type: 'boolean' } }, ['address', 'deleted']),
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    async run(context, input) {
      const session = await context.session();
      const address = session.parse(input.address as string);
      const deleted = await session.delete(address, input.expect === undefined ? undefined : { expected: { value: input.expect as string } });
      const where = formatAddress(address, session.defaults.delimiter);
      return { text: deleted ? `Deleted ${where}` : `Nothing was stored at ${where}`, structured: { address: where, deleted } };
    },
  },
  {
    name: 'keys',
    title: 'List keys',
    description: 'List the live keys under a path (sorted), without values.',
    inputSchema: object({ path: PATH, limit: LIMIT }),
    outputSchema: object({ keys: { type: 'array', items: { type: 'string' } }, truncated: { type: 'boolean' } }, ['keys', 'truncated']),
    annotations: READ,
    async run(context, input) {
      const { entries, truncated } = await listed(context, input);
      const keys = entries.map((entry) => printableName(entry.context === null ? entry.key : `${entry.key}__${entry.context}`));
      return { text: listingText(keys, truncated), structured: { keys, truncated } };
    },
  },
  {
    name: 'scan',
    title: 'List keys and values',
    description: 'List the live keys under a path with their values (sorted).',
    inputSchema: object({ path: PATH, limit: LIMIT }),
    outputSchema: object(
      {
        entries: { type: 'array', items: object({ key: { type: 'string' }, value: { type: 'string' }, expires_at: NULLABLE_TIME }, ['key', 'value', 'expires_at']) },
        truncated: { type: 'boolean' },
      },
      ['entries', 'truncated'],
    ),
    annotations: READ,
    async run(context, input) {
      const { entries, truncated } = await listed(context, input);
      const rows = entries.map((entry) => ({ key: entry.context === null ? entry.key : `${entry.key}__${entry.context}`, value: entry.value, expires_at: isoTime(entry.expiresAt) }));
      return { text: listingText(rows.map((row) => `${printableName(row.key)}=${quoted(row.value)}`), truncated), structured: { entries: rows, truncated } };
    },
  },
  {
    name: 'projects',
    title: 'List projects',
    description: 'List the projects of the database (the first part of addresses).',
    inputSchema: object({}),
    outputSchema: object({ projects: { type: 'array', items: { type: 'string' } } }, ['projects']),
    annotations: READ,
    async run(context) {
      const projects = await (await context.session()).projects();
      return { text: listingText(projects, false), structured: { projects } };
    },
  },
  {
    name: 'namespaces',
    title: 'List namespaces',
    description: 'List the namespaces of a project, with which of them are TTL caches.',
    inputSchema: object({ project: { type: 'string', description: 'The project' } }, ['project']),
    outputSchema: object(
      { namespaces: { type: 'array', items: object({ name: { type: 'string' }, ttl_seconds: { type: ['integer', 'null'] } }, ['name', 'ttl_seconds']) } },
      ['namespaces'],
    ),
    annotations: READ,
    async run(context, input) {
      const session = await context.session();
      const project = input.project as string;
      const ttl = new Map((await session.ttlNamespaces()).filter((ns) => ns.project === project).map((ns) => [ns.namespace, ns.defaultTtl]));
      const names = [...new Set([...(await session.namespaces(project)), ...ttl.keys()])].sort();
      const namespaces = names.map((name) => ({ name, ttl_seconds: ttl.get(name) ?? null }));
      const lines = namespaces.map((ns) => (ns.ttl_seconds === null ? ns.name : `${ns.name} (TTL ${ns.ttl_seconds} s)`));
      return { text: listingText(lines, false), structured: { namespaces } };
    },
  },
  {
    name: 'create_cache',
    title: 'Create a TTL namespace',
    description: 'Make a namespace a TTL cache: values written there expire after ttl seconds unless set with their own ttl. Leases live in such a namespace.',
    inputSchema: object(
      { namespace: { type: 'string', description: 'project.namespace' }, ttl: { type: 'integer', minimum: 1, maximum: MAX_TTL_SECONDS, description: 'Default seconds to live' } },
      ['namespace', 'ttl'],
    ),
    outputSchema: object({ namespace: { type: 'string' }, ttl_seconds: { type: 'integer' } }, ['namespace', 'ttl_seconds']),
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    async run(context, input) {
      await (await context.session()).createCache(input.namespace as string, input.ttl as number);
      return { text: `${input.namespace as string} is a TTL namespace (${input.ttl as number} s)`, structured: { namespace: input.namespace, ttl_seconds: input.ttl } };
    },
  },
  {
    name: 'status',
    title: 'Which database',
    description: 'Say which database the tools act on, why (flag, cursor, .prontodb, selection), for which user, and the default project and namespace.',
    inputSchema: object({}),
    outputSchema: object(
      {
        database: NULLABLE_STRING,
        location: { type: 'string' },
        chosen_by: { type: 'string' },
        cursor: NULLABLE_STRING,
        user: { type: 'string' },
        default_project: { type: 'string' },
        default_namespace: { type: 'string' },
        read_only: { type: 'boolean' },
        client: { type: 'string' },
      },
      ['database', 'location', 'chosen_by', 'cursor', 'user', 'default_project', 'default_namespace', 'read_only', 'client'],
    ),
    annotations: READ,
    async run(context) {
      const session = await context.session();
      const structured = statusOf(session.target, session, context);
      const lines = [
        `database: ${structured.database ?? (isUrlLocation(structured.location) ? '(a server database)' : '(a file)')} at ${structured.location}`,
        `chosen by: ${structured.chosen_by}`,
        ...(structured.cursor ? [`cursor: ${structured.cursor}`] : []),
        `user: ${structured.user}`,
        `defaults: ${structured.default_project}.${structured.default_namespace}`,
        ...(context.readOnly ? ['read-only: only the reading tools are served'] : []),
      ];
      return { text: lines.join('\n'), structured };
    },
  },
  {
    name: 'watch',
    title: 'Wait for a change',
    description:
      `Wait until the value at an address changes (another agent or person writes, deletes, or it expires), then return the new value. ` +
      `With expect, wait until it differs from that value (no change missed since you read it). Waits at most timeout seconds (default ${WATCH_DEFAULT_SECONDS}, at most ${WATCH_MAX_SECONDS}); call again to keep waiting.`,
    inputSchema: object(
      {
        address: ADDRESS,
        timeout: { type: 'integer', minimum: 0, maximum: WATCH_MAX_SECONDS, description: `Seconds to wait (default ${WATCH_DEFAULT_SECONDS})` },
        expect: { type: 'string', description: 'Wake once the value is not exactly this' },
      },
      ['address'],
    ),
    outputSchema: object({ address: { type: 'string' }, changed: { type: 'boolean' }, value: NULLABLE_STRING, deleted: { type: 'boolean' } }, ['address', 'changed', 'value', 'deleted']),
    annotations: READ,
    async run(context, input) {
      const session = await context.session();
      const address = session.parse(input.address as string);
      const timeout = (input.timeout as number | undefined) ?? WATCH_DEFAULT_SECONDS;
      if (timeout < 0 || timeout > WATCH_MAX_SECONDS) throw usageError(`'timeout' must be from 0 to ${WATCH_MAX_SECONDS} seconds`);
      const result = await watchValue(session, address, {
        timeoutMs: timeout * 1000,
        signal: context.signal,
        expected: input.expect === undefined ? undefined : { value: input.expect as string },
      });
      const where = formatAddress(address, session.defaults.delimiter);
      const value = result.entry?.value ?? null;
      const structured = { address: where, changed: result.changed, value, deleted: result.changed && value === null };
      const text = !result.changed
        ? `No change at ${where} within ${timeout} s${value === null ? ' (nothing stored)' : ''}`
        : value === null
          ? `${where} was deleted or expired`
          : value;
      return { text, structured };
    },
  },
];

async function listed(context: ToolContext, input: Record<string, unknown>): Promise<{ entries: Entry[]; truncated: boolean }> {
  const limit = limitOf(input);
  const entries = await (await context.session()).listPath((input.path as string | undefined) || undefined, { limit: limit + 1 });
  return { entries: entries.slice(0, limit), truncated: entries.length > limit };
}

function listingText(lines: string[], truncated: boolean): string {
  if (lines.length === 0) return '(none)';
  return `${lines.join('\n')}${truncated ? '\n… more (raise limit or narrow the path)' : ''}`;
}

function statusOf(target: ResolvedTarget, session: Session, context: ToolContext) {
  return {
    database: target.databaseName ?? null,
    location: displayLocation(target.location),
    chosen_by: target.source,
    cursor: target.cursor?.name ?? null,
    user: target.user,
    default_project: session.defaults.project ?? 'default',
    default_namespace: session.defaults.namespace ?? 'default',
    read_only: context.readOnly === true,
    client: context.client,
  };
}

/** The tools a host serves: every tool, or with readOnly only those that change nothing. */
export function agentTools(options: { readOnly?: boolean } = {}): readonly AgentTool[] {
  return options.readOnly ? AGENT_TOOLS.filter((tool) => tool.annotations.readOnlyHint) : AGENT_TOOLS;
}

/**
 * Runs a tool by name: checks the input, runs it, and turns the failures a caller can act on into
 * tool errors with the core's message (and, for a failed condition, what is there now). Anything
 * else is a bug and is thrown.
 */
export async function callAgentTool(context: ToolContext, name: string, input: unknown): Promise<ToolResult> {
  const tool = agentTools({ readOnly: context.readOnly }).find((each) => each.name === name);
  try {
    if (!tool) {
      const writer = AGENT_TOOLS.some((each) => each.name === name);
      throw usageError(writer ? `'${name}' is not served: this server is read-only` : `Unknown tool '${name}'`);
    }
    return await tool.run(context, checkInput(name, tool.inputSchema, input));
  } catch (error) {
    if (!isProntoError(error)) throw error;
    const structured: Record<string, unknown> = { error: { code: error.code, message: error.message } };
    let text = error.message;
    if (error instanceof ConditionFailedError) {
      (structured.error as Record<string, unknown>).current = error.current ?? null;
      text += error.current === undefined ? ' (nothing is stored there now)' : ` (it is now ${quoted(error.current)})`;
    }
    return { text, structured, isError: true };
  }
}
