import { configFileFromArgv, loadConfig } from '../config/index.ts';
import { isTollgateError } from '../errors.ts';
import { MIGRATE_HELP, TENANTS_HELP, migrateCommand, tenantsCommand } from './commands/admin.ts';
import { BANK_HELP, bankCommand } from './commands/bank.ts';
import { HASH_HELP, hashCommand } from './commands/hash.ts';
import { INSPECT_HELP, inspectCommand } from './commands/inspect.ts';
import { MATCH_HELP, matchCommand } from './commands/match.ts';
import { SCAN_HELP, scanCommand } from './commands/scan.ts';
import { SERVE_HELP, WORKER_HELP, serveCommand, workerCommand } from './commands/serve.ts';
import { TRAIN_HELP, trainCommand } from './commands/train.ts';
import { CliExit, EXIT, describeError } from './io.ts';
import type { Config } from '../config/index.ts';

type Command = { help: string; run: (argv: string[], config: Config) => Promise<number> };

const COMMANDS: Record<string, Command> = {
  inspect: { help: INSPECT_HELP, run: inspectCommand },
  scan: { help: SCAN_HELP, run: scanCommand },
  hash: { help: HASH_HELP, run: hashCommand },
  match: { help: MATCH_HELP, run: matchCommand },
  bank: { help: BANK_HELP, run: bankCommand },
  serve: { help: SERVE_HELP, run: serveCommand },
  worker: { help: WORKER_HELP, run: workerCommand },
  train: { help: TRAIN_HELP, run: trainCommand },
  migrate: { help: MIGRATE_HELP, run: migrateCommand },
  tenants: { help: TENANTS_HELP, run: tenantsCommand },
};

const HELP = `tollgate — accept / review / reject for every upload, with reasons

Commands:
${Object.values(COMMANDS)
  .map((c) => `  ${c.help.split('\n').join('\n  ')}`)
  .join('\n\n')}

Global: --config FILE (JSON; also TOLLGATE_CONFIG). Environment: DATABASE_URL, S3_*, PORT, TOLLGATE_* (see README).`;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(`${HELP}\n`);
    return name ? EXIT.ok : EXIT.usage;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`unknown command "${name}"\n\n${HELP}\n`);
    return EXIT.usage;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.help}\n`);
    return EXIT.ok;
  }
  const file = configFileFromArgv(rest);
  const args = stripConfigFlag(rest);
  const config = loadConfig({ env: process.env, ...(file ? { file } : {}) });
  return command.run(args, config);
}

function stripConfigFlag(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--config') i++;
    else if (!arg.startsWith('--config=')) out.push(arg);
  }
  return out;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof CliExit) {
      process.stderr.write(`${error.message}\n`);
      process.exitCode = error.exitCode;
    } else {
      process.stderr.write(`tollgate: ${describeError(error)}\n`);
      if (!isTollgateError(error) && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
      process.exitCode = isTollgateError(error) && error.code === 'input.invalid' ? EXIT.usage : EXIT.failure;
    }
  },
);
