#!/usr/bin/env node
/**
 * `npm run bench [-- options]`: builds the package, compiles the benchmark (scripts/bench/*.ts, which
 * reuses the e2e suite's n8n helpers and the fake API) and runs it in this process. n8n itself runs
 * on the Node 24 that scripts/provision-n8n.sh caches. Options: `npm run bench -- --help`.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const say = (line) => process.stderr.write(`[bench] ${line}\n`);

function run(step, command, args) {
	say(`${step}: ${[command, ...args].join(' ')}`);
	const result = spawnSync(command, args, { cwd: repoRoot, stdio: 'inherit' });
	if (result.status !== 0) {
		say(`FAILED: ${step} (exit ${result.status ?? result.signal}). Fix the error above and run the command again.`);
		process.exit(1);
	}
}

const args = process.argv.slice(2);
const wantsHelp = args.includes('--help') || args.includes('-h');
if (!wantsHelp) run('Building the package', 'npm', ['run', 'build', '--silent']);
run('Compiling the benchmark', process.execPath, [
	join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'),
	'-p',
	join(repoRoot, 'scripts', 'bench', 'tsconfig.bench.json'),
]);

const require = createRequire(import.meta.url);
const { parseArguments, runBench, USAGE } = require(
	join(repoRoot, 'node_modules', '.cache', 'n8n-nodes-midjourney-edits-bench', 'scripts', 'bench', 'runBench.js'),
);

let options;
try {
	options = parseArguments(args);
} catch (error) {
	process.stderr.write(`${error.message}\n`);
	process.exit(2);
}
if (options === 'help') {
	process.stdout.write(`${USAGE}\n`);
	process.exit(0);
}
try {
	process.exit(await runBench(options));
} catch (error) {
	say(`FAILED: ${error.stack ?? error}`);
	process.exit(1);
}
