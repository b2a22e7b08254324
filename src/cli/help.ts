/** Help texts: `prontodb help`, `prontodb help <cmd>` and `prontodb <cmd> --help` all read these. */

export const COMMAND_HELP: Record<string, string> = {
  set: `prontodb set <address> <value> [--ttl SECONDS]
prontodb set <address> --stdin
  Store a value. <address> is key, namespace.key or project.namespace.key, optionally
  followed by __context. --stdin reads the value from standard input (exactly, no trimming).
  --ttl is only allowed in TTL namespaces (see create-cache). Values starting with '-' go
  after '--':  prontodb set k -- -5`,
  get: `prontodb get <address>
  Print the value followed by a newline. Exit 2, printing nothing, when the key is absent
  or expired.`,
  del: `prontodb del <address>
  Delete a value. Deleting an absent key is not an error.`,
  keys: `prontodb keys [path]
  List live keys, one per line, sorted; contexts show as key__context. [path] is a key
  prefix, project.namespace, or project.namespace.prefix (exact, case-sensitive). Without a
  path: the default (or -p/-n) namespace.`,
  scan: `prontodb scan [path]      (alias: ls)
  Like keys, printing key=value lines.`,
  projects: `prontodb projects
  List projects that hold live keys or TTL namespaces.`,
  namespaces: `prontodb namespaces <project>     (or -p <project>)
  List the namespaces of a project.`,
  nss: `prontodb nss
  List every project.namespace.`,
  'create-cache': `prontodb create-cache <project.namespace> <seconds>
  Make a namespace a TTL cache: values written there expire after <seconds> unless
  set with their own --ttl.`,
  'remove-cache': `prontodb remove-cache <project.namespace>
  Stop a namespace being a TTL cache. Values already written keep their expiry.`,
  purge: `prontodb purge
  Delete expired values now. Prints how many were removed.`,
  db: `prontodb db list
prontodb db create <name>
prontodb db delete <name> --force
  Named databases live in <data>/<name>/pronto.<name>.prdb. Delete removes the database
  directory, with the cursors filed in it, and needs --force.`,
  cursor: `prontodb cursor set <name> <database-or-path> [--meta CTX] [-p PROJECT] [-n NAMESPACE]
prontodb cursor list | active | clear
prontodb cursor use <name>        (or: prontodb cursor <name>)
prontodb cursor delete <name>
prontodb cursor rename <old> <new>
  Cursors are named pointers to a database, per user (--user). <database-or-path> is a
  database name, or a file path (contains '/' or ends in .prdb/.db; resolved now).
  --meta stores every project under CTX.<project>, isolated from other data.
  'use' selects a cursor (or database name) for the user; later commands use it.`,
  backup: `prontodb backup [--output DIR]
prontodb backup --list [--output DIR]
prontodb backup --rotate N [--output DIR]
  Archive the selected database as DIR/prontodb_<db>_<YYYYMMDD>[_nNN].tar.gz (the Rust
  CLI's layout). DIR defaults to $PRONTODB_BACKUP_DIR or ~/repos/zindex/cache/backup.
  --rotate keeps the newest N archives of the database and deletes older ones.`,
  restore: `prontodb restore <archive> [--target NAME] [--output DIR]
  Validate the archive, keep a safety copy of the database it replaces (in DIR), then
  replace it. --target restores under another database name.`,
  export: `prontodb export [project | project.namespace] [--format json|csv] [--output FILE]
  Write live entries (and TTL namespaces, in JSON) to FILE or standard output.`,
  import: `prontodb import <file> [--format json|csv] [--preserve-timestamps]
  Write every entry of an export in one all-or-nothing commit. Use '-' for standard input.`,
  noop: `prontodb noop
  Do nothing and exit 0 (checks that flags and the selected database resolve).`,
  version: `prontodb version     (or --version, -v)`,
  help: `prontodb help [command]`,
};

export function generalHelp(version: string): string {
  return `prontodb ${version} — key-value store for people and coding agents

Usage: prontodb [options] <command> [arguments]     (options may also follow the command)

Addresses: key | namespace.key | project.namespace.key, each with an optional __context.
  Missing parts default to -p/-n, the cursor's defaults, then 'default'.

Data:       set, get, del, keys, scan (ls), projects, namespaces, nss
TTL:        create-cache, remove-cache, purge
Databases:  db list|create|delete, backup, restore, export, import
Cursors:    cursor set|list|active|use|delete|rename|clear
Other:      noop, version, help [command]

Options:
  --database NAME     use this database for this call only
  -c, --cursor NAME   use this cursor for this call only
  -u, --user NAME     cursor profile (default: 'default')
  -p, --project P     project for addresses without one
  -n, --namespace N   namespace for addresses without one
  --ns-delim S        segment delimiter instead of '.'
  -q, --quiet         no status lines on standard error
  -h, --help          help;  -v, --version: version
  --                  end of options (for values starting with '-')

Which database: --database > --cursor > .prontodb (here or above) > the user's selection
  > the global selection > main.  Environment: PRONTODB_DATABASE (or PRONTODB_DATABASE_PATH,
  a file), PRONTODB_CURSOR, PRONTODB_USER stand in for the flags; PRONTODB_DATA_DIR sets the
  data directory; XDG_DATA_HOME and PRONTO_DB work as in the Rust CLI.

Exit codes: 0 ok, 1 error, 2 miss (get found nothing).`;
}
