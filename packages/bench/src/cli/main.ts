#!/usr/bin/env node
import { runScoreCli } from './score-command.js';

process.exitCode = await runScoreCli(process.argv.slice(2));
