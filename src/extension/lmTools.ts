import * as vscode from 'vscode';
import { formatAddress } from '../core/address';
import { AGENT_TOOLS, type AgentTool, callAgentTool } from '../core/agentTools';
import { displayLocation } from '../core/location';
import type { Session } from '../core/pronto';
import type { ProntoService } from './service';

/**
 * The agent tools of core/agentTools.ts as VS Code language-model tools (`prontodb_get`, …), for
 * agent mode and `#prontodb_…` in chat. A thin adapter: the same table, schemas and answers as
 * `prontodb mcp`; this module adds what only the editor has: the database the sidebar shows,
 * confirmations before writes, and workspace trust (an untrusted workspace gets the reading tools only).
 */

/** The VS Code name of an agent tool (package.json `contributes.languageModelTools` uses the same). */
export function lmToolName(tool: Pick<AgentTool, 'name'>): string {
  return `prontodb_${tool.name}`;
}

/** Values longer than this are cut in a confirmation (the dialog must stay readable); the length is shown. */
const SHOWN_VALUE_CHARACTERS = 2000;

export function registerLanguageModelTools(service: ProntoService): vscode.Disposable {
  return vscode.Disposable.from(...AGENT_TOOLS.map((tool) => vscode.lm.registerTool<Record<string, unknown>>(lmToolName(tool), new ProntoLanguageModelTool(service, tool))));
}

function writes(tool: AgentTool): boolean {
  return !tool.annotations.readOnlyHint;
}

class ProntoLanguageModelTool implements vscode.LanguageModelTool<Record<string, unknown>> {
  constructor(
    private readonly service: ProntoService,
    private readonly tool: AgentTool,
  ) {}

  async invoke(options: vscode.LanguageModelToolInvocationOptions<Record<string, unknown>>, token: vscode.CancellationToken): Promise<vscode.LanguageModelToolResult> {
    const trusted = vscode.workspace.isTrusted;
    if (writes(this.tool) && !trusted) throw new Error(untrustedRefusal(this.tool));
    const aborted = new AbortController();
    const cancellation = token.onCancellationRequested(() => aborted.abort());
    let opened: Session | undefined;
    try {
      const result = await callAgentTool(
        {
          // Each call resolves anew: a database or cursor switched in the sidebar applies at once.
          session: async () => (opened = await this.service.session()),
          signal: aborted.signal,
          client: 'vscode',
          readOnly: !trusted,
        },
        this.tool.name,
        options.input,
      );
      // The documented way for a tool to fail: an Error whose message the model can act on.
      if (result.isError) throw new Error(result.text);
      // A write to a database that did not exist yet: the sidebar starts following it.
      if (writes(this.tool) && opened) this.service.afterWrite(opened);
      return new vscode.LanguageModelToolResult([new vscode.LanguageModelTextPart(result.text)]);
    } finally {
      cancellation.dispose();
    }
  }

  async prepareInvocation(options: vscode.LanguageModelToolInvocationPrepareOptions<Record<string, unknown>>): Promise<vscode.PreparedToolInvocation> {
    const input = (options.input ?? {}) as Record<string, unknown>;
    const where = await this.describeTarget(input);
    const invocationMessage = `ProntoDB: ${this.tool.title}${where.subject ? ` — ${where.subject}` : ''} (${where.database})`;
    // Nothing to confirm where the write will be refused anyway.
    if (!writes(this.tool) || !vscode.workspace.isTrusted) return { invocationMessage };
    return { invocationMessage, confirmationMessages: { title: `ProntoDB: ${this.tool.title}?`, message: confirmationMessage(this.tool, input, where) } };
  }

  /**
   * The database the call will act on and the full address it means (defaults of the active cursor
   * filled in), for the messages. Preparing must change nothing: a failure here only leaves the
   * messages less precise, the call itself reports it.
   */
  private async describeTarget(input: Record<string, unknown>): Promise<{ database: string; subject?: string; problem?: string }> {
    const given = typeof input.address === 'string' ? input.address : typeof input.namespace === 'string' ? input.namespace : typeof input.path === 'string' ? input.path : undefined;
    let session: Session;
    try {
      session = await this.service.session();
    } catch (error) {
      return { database: 'the active database', subject: given, problem: (error as Error).message };
    }
    const target = session.target;
    const name = target.databaseName ?? displayLocation(target.location);
    const database = target.cursor ? `${name} (cursor ${target.cursor.name})` : name;
    if (typeof input.address !== 'string') return { database, subject: given };
    try {
      return { database, subject: formatAddress(session.parse(input.address), session.defaults.delimiter) };
    } catch (error) {
      return { database, subject: given, problem: (error as Error).message };
    }
  }
}

function untrustedRefusal(tool: AgentTool): string {
  return (
    `${lmToolName(tool)} is refused: this workspace is not trusted (Restricted Mode), so ProntoDB's tools may only read. ` +
    `Ask the user to trust the workspace to write; the reading tools (prontodb_get, prontodb_keys, prontodb_scan, …) still work.`
  );
}

/** What a write will do, for the person who confirms it: the database, the address, the value and the conditions. */
function confirmationMessage(tool: AgentTool, input: Record<string, unknown>, where: { database: string; subject?: string; problem?: string }): vscode.MarkdownString {
  const message = new vscode.MarkdownString();
  const line = (label: string, text: string) => {
    message.appendMarkdown(`**${label}:** `);
    message.appendText(text);
    message.appendMarkdown('  \n');
  };
  line('Database', where.database);
  if (tool.name === 'create_cache') {
    line('Namespace', String(input.namespace));
    line('Values expire after', seconds(input.ttl));
  } else {
    line('Address', where.subject ?? String(input.address));
  }
  if (tool.name === 'set') {
    if (input.if_absent === true) line('Condition', 'only if nothing is stored there');
    if (typeof input.expect === 'string') line('Condition', `only if the current value is ${shown(input.expect)}`);
    if (input.ttl !== undefined) line('Expires after', seconds(input.ttl));
    message.appendMarkdown('**Value:**');
    message.appendMarkdown(codeBlock(shownValue(input.value)));
  }
  if (tool.name === 'delete' && typeof input.expect === 'string') line('Condition', `only if the current value is ${shown(input.expect)}`);
  if (where.problem) line('Note', where.problem);
  return message;
}

function seconds(value: unknown): string {
  return typeof value === 'number' ? `${value} s` : String(value);
}

function shown(value: string): string {
  return JSON.stringify(value.length > SHOWN_VALUE_CHARACTERS ? `${value.slice(0, SHOWN_VALUE_CHARACTERS)}…` : value);
}

function shownValue(value: unknown): string {
  if (typeof value !== 'string') return String(value);
  if (value.length <= SHOWN_VALUE_CHARACTERS) return value;
  return `${value.slice(0, SHOWN_VALUE_CHARACTERS)}\n… (${value.length} characters in all)`;
}

/** A fenced block that no run of backticks in the text can close early. */
function codeBlock(text: string): string {
  const longestRun = Math.max(0, ...[...text.matchAll(/`+/g)].map((run) => run[0].length));
  const fence = '`'.repeat(Math.max(3, longestRun + 1));
  return `\n${fence}text\n${text}\n${fence}\n`;
}
