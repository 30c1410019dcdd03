/**
 * What `npm start` and `npm run bench` share: build the package (unless only help is asked for),
 * compile a TypeScript program of scripts/ with its own tsconfig, load it, parse the command line
 * with its parseArguments and run it in this process. Each step says what it runs; a failing step
 * says so and exits 1, bad arguments exit 2.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * @param {object} program
 * @param {string} program.tag            prefix of this launcher's own lines, e.g. 'start'
 * @param {string} program.what           what is compiled, for the progress line
 * @param {string} program.tsconfig       path below the repository root
 * @param {string} program.compiledModule the compiled entry, below the repository root
 * @param {string} program.runExport      name of the exported function that runs the parsed options
 */
export async function runCompiledProgram({ tag, what, tsconfig, compiledModule, runExport }) {
	const say = (line) => process.stderr.write(`[${tag}] ${line}\n`);
	const run = (step, command, args) => {
		say(`${step}: ${[command, ...args].join(' ')}`);
		const result = spawnSync(command, args, { cwd: repoRoot, stdio: 'inherit' });
		if (result.status !== 0) {
			say(`FAILED: ${step} (exit ${result.status ?? result.signal}). Fix the error above and run the command again.`);
			process.exit(1);
		}
	};

	const args = process.argv.slice(2);
	if (!args.includes('--help') && !args.includes('-h')) run('Building the package', 'npm', ['run', 'build', '--silent']);
	run(`Compiling ${what}`, process.execPath, [
		join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'),
		'-p',
		join(repoRoot, tsconfig),
	]);

	const program = createRequire(import.meta.url)(join(repoRoot, compiledModule));
	let options;
	try {
		options = program.parseArguments(args);
	} catch (error) {
		process.stderr.write(`${error.message}\n`);
		process.exit(2);
	}
	if (options === 'help') {
		process.stdout.write(`${program.USAGE}\n`);
		process.exit(0);
	}
	try {
		process.exit(await program[runExport](options));
	} catch (error) {
		say(`FAILED: ${error.stack ?? error}`);
		process.exit(1);
	}
}
