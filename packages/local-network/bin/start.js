#!/usr/bin/env node
// `npm start`: the local Enlace network. The work is in ../dist/start.js (built by `npm install`).
import { runFromCommandLine } from '../dist/start.js';

process.exitCode = await runFromCommandLine(process.argv.slice(2));
