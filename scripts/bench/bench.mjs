#!/usr/bin/env node
/**
 * `npm run bench [-- options]`: builds the package, compiles the benchmark (scripts/bench/*.ts, which
 * reuses the e2e suite's n8n helpers and the fake API) and runs it in this process. n8n itself runs
 * on the Node 24 that scripts/provision-n8n.sh caches. Options: `npm run bench -- --help`.
 */
import { runCompiledProgram } from '../runCompiled.mjs';

await runCompiledProgram({
	tag: 'bench',
	what: 'the benchmark',
	tsconfig: 'scripts/bench/tsconfig.bench.json',
	compiledModule: 'node_modules/.cache/n8n-nodes-midjourney-edits-bench/scripts/bench/runBench.js',
	runExport: 'runBench',
});
