#!/usr/bin/env node
import { CommanderError } from 'commander';
import { createProgram } from './program.js';

try {
  await createProgram().parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exitCode = error.exitCode;
  else {
    process.stderr.write(`cncf-llm: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
