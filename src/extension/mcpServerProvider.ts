import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ProntoService } from './service';
import { directoryVariables, terminalVariables } from './terminalEnvironment';

/**
 * Offers the bundled `prontodb mcp` to the editor's own MCP client (VS Code 1.101 and later:
 * `vscode.lm.registerMcpServerDefinitionProvider`), wired to the database the sidebar shows. The
 * engine allows 1.100, which lacks it (it has a proposed function of that name, which refuses this
 * extension's contribution): there this registers nothing.
 */

/** The provider id; package.json `contributes.mcpServerDefinitionProviders` declares the same. */
export const MCP_PROVIDER_ID = 'prontodb.mcpServer';

/** A stdio server as the editor starts it; the plain data behind `vscode.McpStdioServerDefinition`. */
export interface StdioServerDescription {
  label: string;
  command: string;
  args: string[];
  /** Over the extension host's environment; null removes a variable. */
  env: Record<string, string | null>;
  cwd?: string;
  version: string;
}

/** The variables that choose a database or user: the ones the editor does not pass are removed, not inherited. */
const SELECTION_VARIABLES = ['PRONTODB_DATABASE', 'PRONTODB_DATABASE_PATH', 'PRONTODB_CURSOR', 'PRONTODB_USER'];

/**
 * The server to offer, or none in an untrusted workspace (the command line would follow a
 * `.prontodb` of the workspace, which the editor ignores there, and nothing would keep it from
 * writing). It runs with the editor's own Node, and gets what a terminal of this window gets: the
 * folders of the settings and a choice only the editor knows; the rest (selection files, cursors,
 * the `.prontodb` the sidebar uses, by starting in its folder) it reads as the sidebar does, anew
 * on every call, so a switch in the sidebar applies to it at once.
 */
export function describeMcpServer(service: ProntoService, extensionPath: string, version: string): StdioServerDescription | undefined {
  if (!vscode.workspace.isTrusted) return undefined;
  const env: Record<string, string | null> = { ELECTRON_RUN_AS_NODE: '1', ...directoryVariables(service) };
  for (const name of SELECTION_VARIABLES) env[name] = null;
  Object.assign(env, terminalVariables(service));
  const workdir = service.workdirState().file;
  const cwd = workdir ? path.dirname(workdir) : vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  return { label: 'ProntoDB', command: process.execPath, args: [path.join(extensionPath, 'dist', 'cli.js'), 'mcp'], env, cwd, version };
}

// The parts of the 1.101 API used here, absent from the 1.100 typings this extension builds against.
interface McpStdioServerDefinitionLike {
  cwd?: vscode.Uri;
}
type McpStdioServerDefinitionClass = new (label: string, command: string, args: string[], env: Record<string, string | null>, version: string) => McpStdioServerDefinitionLike;
interface McpServerDefinitionProviderLike {
  onDidChangeMcpServerDefinitions: vscode.Event<void>;
  provideMcpServerDefinitions(): McpStdioServerDefinitionLike[];
}
type RegisterMcpServerDefinitionProvider = (id: string, provider: McpServerDefinitionProviderLike) => vscode.Disposable;

export function registerMcpServerProvider(service: ProntoService, context: vscode.ExtensionContext, version: string): vscode.Disposable | undefined {
  const register = (vscode.lm as unknown as { registerMcpServerDefinitionProvider?: RegisterMcpServerDefinitionProvider }).registerMcpServerDefinitionProvider;
  const Definition = (vscode as unknown as { McpStdioServerDefinition?: McpStdioServerDefinitionClass }).McpStdioServerDefinition;
  if (typeof register !== 'function' || typeof Definition !== 'function') return undefined;
  const changed = new vscode.EventEmitter<void>();
  const provider: McpServerDefinitionProviderLike = {
    onDidChangeMcpServerDefinitions: changed.event,
    provideMcpServerDefinitions: () => {
      let server: StdioServerDescription | undefined;
      try {
        server = describeMcpServer(service, context.extensionUri.fsPath, version);
      } catch (error) {
        // A malformed .prontodb: reported where it happens; no server until it is fixed.
        service.log.warn(`MCP server: ${(error as Error).message}`);
        return [];
      }
      if (!server) return [];
      const definition = new Definition(server.label, server.command, server.args, server.env, server.version);
      if (server.cwd) definition.cwd = vscode.Uri.file(server.cwd);
      return [definition];
    },
  };
  let registration: vscode.Disposable;
  try {
    registration = register.call(vscode.lm, MCP_PROVIDER_ID, provider);
  } catch (error) {
    // VS Code 1.100 has a proposed function of that name that wants another contribution point: no MCP offer there.
    changed.dispose();
    service.log.info(`The editor does not take MCP server definitions from extensions (VS Code ${vscode.version}): ${(error as Error).message}`);
    return undefined;
  }
  const fire = () => changed.fire();
  return vscode.Disposable.from(
    changed,
    registration,
    service.onDidChangeTarget(fire),
    vscode.workspace.onDidGrantWorkspaceTrust(fire),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration('prontodb')) fire();
    }),
  );
}
