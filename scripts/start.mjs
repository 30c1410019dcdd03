#!/usr/bin/env node
/**
 * `npm start` / `npm run sandbox` (= `npm start -- --sandbox`): builds the package, compiles the dev
 * server (scripts/dev/devServer.ts, which reuses the e2e suite's n8n helpers and the fake API), then
 * runs it in this process. Only the machine's Node and the project's dev dependencies are needed;
 * n8n itself runs on the Node 24 that scripts/provision-n8n.sh caches.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const say = (line) => process.stderr.write(`[start] ${line}\n`);

function run(step, command, args) {
	say(`${step}: ${[command, ...args].join(' ')}`);
	const result = spawnSync(command, args, { cwd: repoRoot, stdio: 'inherit' });
	if (result.status !== 0) {
		say(`FAILED: ${step} (exit ${result.status ?? result.signal}). Fix the error above and run the command again.`);
		process.exit(1);
	}
}

const args = process.argv.slice(2);
if (!args.includes('--help') && !args.includes('-h')) {
	run('Building the package', 'npm', ['run', 'build', '--silent']);
}
run('Compiling the dev server', process.execPath, [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(repoRoot, 'scripts', 'tsconfig.dev.json')]);

const require = createRequire(import.meta.url);
const { parseArguments, runDevServer, USAGE } = require(
	join(repoRoot, 'node_modules', '.cache', 'n8n-nodes-midjourney-edits-dev', 'scripts', 'dev', 'devServer.js'),
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
process.exit(await runDevServer(options));
