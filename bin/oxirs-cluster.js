#!/usr/bin/env node
// Runs the CLI from its TypeScript source through tsx, so no build step is needed.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
