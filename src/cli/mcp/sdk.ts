/**
 * The parts of the MCP SDK the server uses, bundled on their own (dist/mcp-sdk.js, see
 * esbuild.config.mjs) so that every other command starts without parsing them.
 */
export { Server } from '@modelcontextprotocol/sdk/server/index.js';
export { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
export { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
