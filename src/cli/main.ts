/**
 * The `oxirs-cluster` command line. Parsing and printing only: each command calls the layers
 * below. Exit codes: 0 clean stop, 1 runtime failure, 2 bad arguments or config.
 */
import { Command, CommanderError } from 'commander';
import { startCommand } from './start-command.ts';
import { loadCommand } from './load-command.ts';
import { queryCommand, updateCommand } from './query-command.ts';
import { devCommand, type DevFlags } from './dev-command.ts';
import { addMemberCommand, promoteMemberCommand, removeMemberCommand, statusCommand, transferLeaderCommand, type AdminFlags } from './admin-commands.ts';
import { ConfigError, SETTINGS, envName } from './node-config.ts';
import { registerBackupCommands } from './backup-command.ts';

const program = new Command('oxirs-cluster')
  .description('A highly available RDF quad store with a SPARQL 1.1 endpoint')
  .exitOverride()
  .showHelpAfterError();

const start = program
  .command('start')
  .description('run one node in the foreground')
  .option('--config <file>', 'JSON file with any of the settings below (keys as the flag names)');
for (const [name, setting] of Object.entries(SETTINGS)) {
  const defaultNote = setting.default === undefined ? '' : ` (default ${setting.default})`;
  start.option(`--${name} <value>`, `${setting.description}${defaultNote}; env ${envName(name)}`);
}
start.action(async (options: Record<string, string>) => {
  const flags: Record<string, string> = {};
  for (const name of Object.keys(SETTINGS)) {
    const value = options[name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())];
    if (value !== undefined) flags[name] = value;
  }
  await startCommand(flags, options.config);
});

program
  .command('load')
  .description('bulk-load N-Triples, N-Quads, Turtle or TriG files (optionally .gz) through the Graph Store Protocol')
  .requiredOption('--endpoint <url>', 'base URL of any node, e.g. http://127.0.0.1:7878')
  .option('--graph <iri>', 'load triples into this named graph (default: the default graph; quad files keep their graphs)')
  .option('--user <user:password>', 'HTTP Basic credentials')
  .option('--token <token>', 'HTTP Bearer token')
  .argument('<files...>', 'files to load, each in one atomic request')
  .action(async (files: string[], options: { endpoint: string; graph?: string; user?: string; token?: string }) => {
    await loadCommand(files, options);
  });

for (const [name, description] of [
  ['query', 'run a SPARQL query: a table on a TTY, else the server\'s text (QUERY may be @FILE)'],
  ['update', 'run a SPARQL update (UPDATE may be @FILE)'],
] as const) {
  const command = program
    .command(name)
    .description(description)
    .requiredOption('--endpoint <url>', 'base URL of any node, e.g. http://127.0.0.1:7878')
    .option('--user <user:password>', 'HTTP Basic credentials')
    .option('--token <token>', 'HTTP Bearer token')
    .argument(name === 'query' ? '<query>' : '<update>', 'the SPARQL text, or @FILE');
  if (name === 'query') command.option('--format <format>', 'json, xml, csv, tsv, turtle, ntriples, nquads, trig or jsonld');
  command.action(async (text: string, options: { endpoint: string; format?: string; user?: string; token?: string }) => {
    await (name === 'query' ? queryCommand(text, options) : updateCommand(text, options));
  });
}

program
  .command('dev')
  .description('start a local cluster of child processes on 127.0.0.1 and print its URLs (Ctrl-C stops it)')
  .option('--nodes <n>', 'number of nodes', '3')
  .option('--port <port>', 'HTTP port of node 1 (node i: port+i-1; Raft: port+1000+i-1)', '7878')
  .option('--data-dir <dir>', 'data of node i in <dir>/n<i>', '.oxirs/dev')
  .option('--fresh', 'delete the data first')
  .action(async (options: DevFlags) => {
    await devCommand(options);
  });

const withEndpoint = (command: Command) =>
  command
    .requiredOption('--endpoint <url>', 'base URL of any member, e.g. http://127.0.0.1:7878')
    .option('--user <user:password>', 'HTTP Basic credentials (admin role for changes)')
    .option('--token <token>', 'HTTP Bearer token');

withEndpoint(program.command('status').description('print the cluster table: members, roles, term, commit and applied index, lag')).action(async (options: AdminFlags) => {
  await statusCommand(options);
});
const members = program.command('members').description('change the membership through any member');
withEndpoint(members.command('add').description('add a node (as a learner with --learner; promote it once caught up)'))
  .argument('<id>', 'the new member\'s --node-id')
  .argument('<raftAddr>', 'its Raft address HOST:PORT')
  .option('--learner', 'add as a non-voting learner')
  .action(async (id: string, raftAddr: string, options: AdminFlags & { learner?: boolean }) => {
    await addMemberCommand(id, raftAddr, options);
  });
withEndpoint(members.command('promote').description('make a caught-up learner a voter'))
  .argument('<id>')
  .action(async (id: string, options: AdminFlags) => {
    await promoteMemberCommand(id, options);
  });
withEndpoint(members.command('remove').description('remove a member (the leader hands over leadership first)'))
  .argument('<id>')
  .action(async (id: string, options: AdminFlags) => {
    await removeMemberCommand(id, options);
  });
withEndpoint(program.command('transfer-leader').description('hand leadership to another voter'))
  .option('--to <id>', 'the new leader (default: the most caught-up voter)')
  .action(async (options: AdminFlags & { to?: string }) => {
    await transferLeaderCommand(options);
  });

registerBackupCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exit(error.exitCode === 0 ? 0 : 2);
  }
  if (error instanceof ConfigError) {
    process.stderr.write(`oxirs-cluster: ${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`oxirs-cluster: ${(error as Error).message}\n`);
  process.exit(1);
}
