#!/usr/bin/env node
/**
 * `npm start` / `npm run sandbox` (= `npm start -- --sandbox`): builds the package, compiles the dev
 * server (scripts/dev/devServer.ts, which reuses the e2e suite's n8n helpers and the fake API), then
 * runs it in this process. Only the machine's Node and the project's dev dependencies are needed;
 * n8n itself runs on the Node 24 that scripts/provision-n8n.sh caches.
 */
import { runCompiledProgram } from './runCompiled.mjs';

await runCompiledProgram({
	tag: 'start',
	what: 'the dev server',
	tsconfig: 'scripts/tsconfig.dev.json',
	compiledModule: 'node_modules/.cache/n8n-nodes-midjourney-edits-dev/scripts/dev/devServer.js',
	runExport: 'runDevServer',
});
