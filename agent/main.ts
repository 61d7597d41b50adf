#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runProgram } from './cli/program.js';
import { packageRoot } from './inference/modelFiles.js';

function agentVersion(): string {
  const manifest = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
  return manifest.version;
}

// The command line lives in cli/program.ts; this file only binds it to the process.
runProgram(process.argv.slice(2), { env: process.env, out: process.stdout, err: process.stderr, version: agentVersion() }).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // runProgram reports every failure itself; reaching here is a bug in the CLI
    process.stderr.write(`c5-agent: internal error: ${String(error)}\n`);
    process.exitCode = 1;
  },
);
