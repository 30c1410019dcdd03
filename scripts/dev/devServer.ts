/* eslint-disable @n8n/community-nodes/no-hardcoded-secrets, @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-restricted-imports -- runs in Node (tests, dev tools), never inside n8n; not published; see scripts/lint-headers.mjs */
/**
 * `npm start` and `npm run sandbox` (run through scripts/start.mjs, which builds the package and
 * compiles this file first).
 *
 * npm start:        the pinned n8n on http://localhost:5678 with this package installed from its
 *                   tarball into a persistent user folder (reinstalled on every start).
 * npm run sandbox:  the same, plus the fake Ace Data Cloud API, an owner account, a credential
 *                   pointing at the fake and an example workflow: click "Execute workflow" and see
 *                   an edit within seconds, with no Ace Data Cloud account.
 */
import * as os from 'os';
import * as path from 'path';

import { startFakeAceDataCloud, type FakeAceDataCloud } from '../../test/fake-api/fakeAceDataCloud';
import { loadFixture, N8nInstance, type N8nOwner } from '../../test/e2e/n8nInstance';
import { packPackage, provisionN8n } from '../../test/e2e/packageUnderTest';

export const SANDBOX_OWNER: N8nOwner = {
	email: 'sandbox@example.com',
	password: 'Sandbox-Passw0rd',
	firstName: 'Sandbox',
	lastName: 'User',
};
export const SANDBOX_TOKEN = 'sandbox-token';
export const SANDBOX_CREDENTIAL_NAME = 'Ace Data Cloud (sandbox)';
const SANDBOX_WORKFLOW_FIXTURE = 'sandbox-example';

export interface DevServerOptions {
	sandbox: boolean;
	port: number;
	fakePort: number;
	userFolder: string;
}

export const USAGE = `usage: npm start [-- --port N --user-folder DIR]
       npm run sandbox [-- --port N --fake-port N --user-folder DIR]
  --sandbox          also start the fake Ace Data Cloud API, an owner, a credential and an example workflow
  --port N           n8n's port (default 5678)
  --fake-port N      the fake API's port in sandbox mode (default 5680)
  --user-folder DIR  n8n's user folder (default ~/.n8n-midjourney-edits-dev, sandbox: ~/.n8n-midjourney-edits-sandbox)`;

export function parseArguments(argv: string[]): DevServerOptions | 'help' {
	let sandbox = false;
	let port = 5678;
	let fakePort = 5680;
	let userFolder: string | undefined;
	const portValue = (flag: string, value: string | undefined): number => {
		if (value === undefined || !/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 65535) {
			throw new Error(`${flag} needs a port number (1-65535)\n${USAGE}`);
		}
		return Number(value);
	};
	for (let index = 0; index < argv.length; index++) {
		const [flag, inline] = argv[index].split(/=(.*)/s, 2);
		const value = () => inline ?? argv[++index];
		switch (flag) {
			case '--sandbox':
				sandbox = true;
				break;
			case '--port':
				port = portValue(flag, value());
				break;
			case '--fake-port':
				fakePort = portValue(flag, value());
				break;
			case '--user-folder': {
				const folder = value();
				if (!folder) throw new Error(`--user-folder needs a folder\n${USAGE}`);
				userFolder = path.resolve(folder);
				break;
			}
			case '-h':
			case '--help':
				return 'help';
			default:
				throw new Error(`unknown argument "${argv[index]}"\n${USAGE}`);
		}
	}
	return {
		sandbox,
		port,
		fakePort,
		userFolder: userFolder ?? path.join(os.homedir(), sandbox ? '.n8n-midjourney-edits-sandbox' : '.n8n-midjourney-edits-dev'),
	};
}

const say = (line: string) => process.stderr.write(`[start] ${line}\n`);

/** Points the sandbox credential at this run's fake (creating it the first time); returns its id. */
async function upsertSandboxCredential(n8n: N8nInstance, fakeUrl: string): Promise<{ id: string; name: string }> {
	const data = { apiToken: SANDBOX_TOKEN, baseUrl: fakeUrl, platformBaseUrl: fakeUrl };
	const listed = await n8n.publicApi<{ data: Array<{ id: string; name: string; type: string }> }>('GET', '/credentials?limit=250');
	const existing = listed.data.find((credential) => credential.name === SANDBOX_CREDENTIAL_NAME && credential.type === 'aceDataCloudApi');
	if (existing) {
		await n8n.publicApi('PATCH', `/credentials/${existing.id}`, { name: SANDBOX_CREDENTIAL_NAME, type: 'aceDataCloudApi', data });
		return existing;
	}
	return await n8n.createCredential({ name: SANDBOX_CREDENTIAL_NAME, type: 'aceDataCloudApi', data });
}

/** Imports the example workflow, replacing an earlier copy so it always matches this checkout. */
async function upsertExampleWorkflow(n8n: N8nInstance, credential: { id: string; name: string }): Promise<string> {
	const fixture = loadFixture(SANDBOX_WORKFLOW_FIXTURE, { CREDENTIAL_ID: credential.id, CREDENTIAL_NAME: credential.name });
	const listed = await n8n.publicApi<{ data: Array<{ id: string; name: string }> }>(
		'GET',
		`/workflows?name=${encodeURIComponent(fixture.name)}`,
	);
	const existing = listed.data.find((workflow) => workflow.name === fixture.name);
	const body = { name: fixture.name, nodes: fixture.nodes, connections: fixture.connections, settings: fixture.settings ?? {} };
	if (existing) {
		await n8n.publicApi('PUT', `/workflows/${existing.id}`, body);
		return existing.id;
	}
	return (await n8n.createWorkflow(fixture)).id;
}

export async function runDevServer(options: DevServerOptions): Promise<number> {
	say(options.sandbox ? 'Sandbox: n8n + the fake Ace Data Cloud API' : 'n8n with this package');
	say('Provisioning the pinned n8n and Node 24 (cached; the first time takes about 6 minutes)...');
	try {
		await provisionN8n();
	} catch (error) {
		say(`FAILED to provision n8n: ${(error as Error).message}`);
		say('Retry with the same command (nothing half-done is kept), or run: bash scripts/provision-n8n.sh');
		return 1;
	}

	say('Packing the package (npm pack)...');
	const tarball = packPackage();

	let fake: FakeAceDataCloud | undefined;
	let fakeClosed: Promise<void> | undefined;
	const closeFake = () => (fakeClosed ??= fake ? fake.close() : Promise.resolve());
	if (options.sandbox) {
		try {
			// A fixed port keeps the sandbox credential valid across restarts.
			fake = await startFakeAceDataCloud({ host: '127.0.0.1', port: options.fakePort, validTokens: [SANDBOX_TOKEN], jobDurationMs: 6000 });
		} catch (error) {
			say(`FAILED to start the fake API on 127.0.0.1:${options.fakePort}: ${(error as Error).message}. Choose another with --fake-port N.`);
			return 1;
		}
		say(`Fake Ace Data Cloud API listening on ${fake.url}`);
	}

	let n8n: N8nInstance;
	try {
		n8n = await N8nInstance.start({
			tarball,
			userFolder: options.userFolder,
			port: options.port,
			echoOutput: true,
			setUpOwner: options.sandbox,
			owner: SANDBOX_OWNER,
			createApiKey: options.sandbox,
			apiKeyLabel: 'sandbox',
			log: say,
			env: {
				N8N_EDITOR_BASE_URL: `http://localhost:${options.port}/`,
				N8N_GRACEFUL_SHUTDOWN_TIMEOUT: '10',
			},
		});
	} catch (error) {
		const message = (error as Error).message;
		say(`FAILED to start n8n: ${message}`);
		if (/already in use/.test(message)) say(`Choose another port: npm ${options.sandbox ? 'run sandbox' : 'start'} -- --port 5690`);
		await closeFake();
		return 1;
	}

	let stopping = false;
	const stop = async (signal: string) => {
		if (stopping) return;
		stopping = true;
		say(`${signal}: stopping n8n${fake ? ' and the fake API' : ''}...`);
		await n8n.stop();
		await closeFake();
	};
	process.on('SIGINT', () => void stop('SIGINT'));
	process.on('SIGTERM', () => void stop('SIGTERM'));

	const editorUrl = `http://localhost:${options.port}`;
	const lines = [
		'',
		'='.repeat(72),
		`  n8n ${n8n.running ? 'is running' : 'stopped'}: ${editorUrl}`,
		`  User folder: ${options.userFolder} (our package reinstalled from ${path.basename(tarball)})`,
	];
	if (options.sandbox && fake) {
		try {
			const credential = await upsertSandboxCredential(n8n, fake.url);
			const workflowId = await upsertExampleWorkflow(n8n, credential);
			lines.push(
				`  Log in as:   ${SANDBOX_OWNER.email}  /  ${SANDBOX_OWNER.password}`,
				`  Example:     ${editorUrl}/workflow/${workflowId}  ->  click "Execute workflow"`,
				`  Credential:  "${SANDBOX_CREDENTIAL_NAME}" -> fake API ${fake.url} (token "${SANDBOX_TOKEN}")`,
				'  Edits take about 6 s. Fault switches: POST ' + `${fake.url}/__fake/faults` + ' (see test/fake-api).',
			);
		} catch (error) {
			say(`FAILED to prepare the sandbox: ${(error as Error).message}`);
			await stop('error');
			return 1;
		}
	} else {
		lines.push('  First visit: create the owner account in the browser.');
	}
	lines.push('  Stop with Ctrl+C.', '='.repeat(72), '');
	process.stdout.write(`${lines.join('\n')}\n`);

	const exitCode = await n8n.waitForExit();
	await closeFake();
	if (!stopping) say(`n8n exited by itself (code ${exitCode}); its log is ${n8n.logFile}`);
	return stopping ? 0 : (exitCode ?? 1);
}

if (require.main === module) {
	let parsed: DevServerOptions | 'help';
	try {
		parsed = parseArguments(process.argv.slice(2));
	} catch (error) {
		process.stderr.write(`${(error as Error).message}\n`);
		process.exit(2);
	}
	if (parsed === 'help') {
		process.stdout.write(`${USAGE}\n`);
		process.exit(0);
	}
	runDevServer(parsed).then(
		(code) => process.exit(code),
		(error: unknown) => {
			process.stderr.write(`[start] ${(error as Error).stack ?? String(error)}\n`);
			process.exit(1);
		},
	);
}
