/* eslint-disable @n8n/community-nodes/no-restricted-globals -- runs in Node (tests, dev tools), never inside n8n; not published; see scripts/lint-headers.mjs */
/**
 * Runs the fake Ace Data Cloud API as its own process, for the sandbox, the e2e suite against a real
 * n8n, and the benchmark:
 *
 *   node dist/test/fake-api/cli.js [--port N] [--host 127.0.0.1] [--job-ms N] [--token T ...]
 *                                  [--public-base-url URL]
 *
 * Prints ONE line of JSON, {"url": "...", "port": N}, on stdout once it listens, and stays up until
 * SIGTERM or SIGINT. Drive it through its control surface (POST /__fake/faults, /__fake/reset, ...).
 */
import { startFakeAceDataCloud, type FakeAceDataCloud, type FakeOptions } from './fakeAceDataCloud';

const USAGE =
	'usage: cli [--port N (0 = any free port)] [--host 127.0.0.1] [--job-ms N] [--token T (repeatable)] [--public-base-url URL]';

function nonNegativeInteger(flag: string, value: string): number {
	if (!/^\d+$/.test(value)) throw new Error(`${flag} needs a non-negative integer, got "${value}"`);
	return Number(value);
}

/** Turns command-line flags into fake options; throws with a readable message on a bad flag. */
export function parseCliArguments(argv: string[]): FakeOptions {
	const options: FakeOptions = {};
	const tokens: string[] = [];
	for (let index = 0; index < argv.length; index++) {
		const flag = argv[index];
		const inline = flag.includes('=') ? flag.slice(flag.indexOf('=') + 1) : undefined;
		const name = inline === undefined ? flag : flag.slice(0, flag.indexOf('='));
		const value = (): string => {
			if (inline !== undefined) return inline;
			const next = argv[++index];
			if (next === undefined) throw new Error(`${name} needs a value`);
			return next;
		};
		switch (name) {
			case '--port':
				options.port = nonNegativeInteger(name, value());
				break;
			case '--host':
				options.host = value();
				break;
			case '--job-ms':
				options.jobDurationMs = nonNegativeInteger(name, value());
				break;
			case '--token':
				tokens.push(value());
				break;
			case '--public-base-url':
				options.publicBaseUrl = value();
				break;
			default:
				throw new Error(`unknown argument "${flag}"\n${USAGE}`);
		}
	}
	if (tokens.length > 0) options.validTokens = tokens;
	return options;
}

export async function runCli(argv: string[]): Promise<FakeAceDataCloud> {
	const fake = await startFakeAceDataCloud(parseCliArguments(argv));
	process.stdout.write(`${JSON.stringify({ url: fake.url, port: fake.port })}\n`);
	const stop = () => {
		fake.close().then(
			() => process.exit(0),
			() => process.exit(1),
		);
	};
	process.once('SIGTERM', stop);
	process.once('SIGINT', stop);
	return fake;
}

if (require.main === module) {
	runCli(process.argv.slice(2)).catch((error: unknown) => {
		process.stderr.write(`fake Ace Data Cloud API: ${(error as Error).message}\n`);
		process.exit(2);
	});
}
