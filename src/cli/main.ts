/**
 * The `oxirs-cluster` command line. Parsing and printing only: each command calls the layers
 * below. Exit codes: 0 clean stop, 1 runtime failure, 2 bad arguments or config.
 */
import { Command, CommanderError } from 'commander';
import { startCommand } from './start-command.ts';
import { loadCommand } from './load-command.ts';
import { queryCommand, updateCommand } from './query-command.ts';
import { ConfigError, SETTINGS, envName } from './node-config.ts';

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
  if (options.dataDir) flags['data-dir'] = options.dataDir;
  if (options.http) flags.http = options.http;
  if (options.auth) flags.auth = options.auth;
  if (options.logLevel) flags['log-level'] = options.logLevel;
  if (options.queryTimeoutMs) flags['query-timeout-ms'] = options.queryTimeoutMs;
  if (options.queryWorkers) flags['query-workers'] = options.queryWorkers;
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
