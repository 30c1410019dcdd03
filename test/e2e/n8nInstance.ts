/* eslint-disable @n8n/community-nodes/no-dangerous-functions, @n8n/community-nodes/no-hardcoded-secrets, @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/require-node-api-error -- runs in Node (tests, dev tools), never inside n8n; not published; see scripts/lint-headers.mjs */
/**
 * A real n8n 2.41.1 process for end-to-end tests and for `npm start`: started with the provisioned
 * Node 24, a private user folder, free ports and this package installed from its tarball the way a
 * user installs it. Driven headless through n8n's REST API (login cookie) and public API (API key).
 * Nothing here depends on jest.
 */
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

import { packPackage, provisionN8n, repoRoot } from './packageUnderTest';

export const PACKAGE_NAME = 'n8n-nodes-midjourney-edits';

export interface N8nOwner {
	email: string;
	password: string;
	firstName: string;
	lastName: string;
}

/** Test-only owner of throw-away instances (n8n wants 8-64 chars, a digit and an uppercase letter). */
export const DEFAULT_OWNER: N8nOwner = {
	email: 'e2e-owner@example.com',
	password: 'E2e-Owner-Passw0rd',
	firstName: 'E2E',
	lastName: 'Owner',
};

export interface StartN8nOptions {
	/** Tarball to install into `.n8n/nodes`; default: this package, built and packed. */
	tarball?: string;
	/** false: start n8n without our package (to test the infrastructure alone). Default true. */
	installPackage?: boolean;
	/** Name of the package inside `tarball` (default this package). */
	packageName?: string;
	/** Persistent user folder (kept on stop). Default: a fresh temp folder, removed on stop. */
	userFolder?: string;
	/** Default: a free port. */
	port?: number;
	/** Port of n8n's task broker (5679 by default in n8n, which blocks a second n8n). Default: a free port. */
	brokerPort?: number;
	/** Keep a temp user folder after stop (default: E2E_KEEP=1). */
	keep?: boolean;
	/** Also copy n8n's output to this process's stdout (for `npm start`). */
	echoOutput?: boolean;
	/** Extra environment for n8n (wins over the defaults). */
	env?: Record<string, string>;
	/** How long to wait for /healthz/readiness. Default 180 s (a busy 2-core machine is slow). */
	readinessTimeoutMs?: number;
	/** Create the owner (or log in, if the folder already has one). Default true; false leaves n8n's setup page to the user. */
	setUpOwner?: boolean;
	/** Owner to create or log in as. Default DEFAULT_OWNER. */
	owner?: N8nOwner;
	/** Create an API key for the public API (default true; needs setUpOwner). */
	createApiKey?: boolean;
	/** Label of that key; an older key with the same label is deleted first. Default 'e2e'. */
	apiKeyLabel?: string;
	/** Progress lines (default: stderr). */
	log?: (line: string) => void;
	/**
	 * Which n8n process to run (default 'start', the main instance). 'worker' and 'webhook' are the
	 * queue-mode processes: they serve no editor or REST API, so the owner and API key are not set up
	 * by default. For a worker, `port` is its health server (QUEUE_HEALTH_CHECK_PORT), polled for
	 * readiness like the main instance's.
	 */
	command?: 'start' | 'worker' | 'webhook';
	/** Extra command-line arguments after the command (e.g. `--concurrency=5` for a worker). */
	args?: string[];
	/**
	 * n8n version to provision and run (default: scripts/provision-n8n.sh's pinned 2.41.1). 1.x runs on
	 * this machine's Node, 2.x on the provisioned Node 24.
	 */
	n8nVersion?: string;
}

export interface WebhookResponse {
	status: number;
	headers: Headers;
	/** Parsed JSON when the answer is JSON, else the text. */
	body: unknown;
}

/** One row of the public API's executions list (with `data` when includeData=true). */
export interface N8nExecution {
	id: string;
	finished: boolean;
	mode: string;
	status: string;
	startedAt: string;
	stoppedAt: string | null;
	workflowId: string;
	waitTill: string | null;
	data?: N8nExecutionData;
	[key: string]: unknown;
}

export interface N8nNodeRun {
	startTime: number;
	executionStatus?: string;
	error?: { message?: string; description?: string; [key: string]: unknown };
	data?: { main?: Array<Array<{ json: Record<string, unknown> }> | null> };
	[key: string]: unknown;
}

export interface N8nExecutionData {
	resultData: {
		runData: Record<string, N8nNodeRun[]>;
		error?: { message?: string; description?: string; node?: { name?: string }; [key: string]: unknown };
		lastNodeExecuted?: string;
	};
	[key: string]: unknown;
}

/** A workflow as exported from the editor (fixtures); extra top-level keys are dropped on create. */
export interface WorkflowFixture {
	name: string;
	nodes: Array<Record<string, unknown>>;
	connections: Record<string, unknown>;
	settings?: Record<string, unknown>;
	[key: string]: unknown;
}

export interface CreatedWorkflow {
	id: string;
	name: string;
	active: boolean;
	[key: string]: unknown;
}

export interface CredentialInput {
	name: string;
	type: string;
	data: Record<string, unknown>;
}

export interface CreatedCredential {
	id: string;
	name: string;
	type: string;
}

export interface CredentialTestResult {
	status: 'OK' | 'Error';
	message: string;
}

export class N8nHttpError extends Error {
	constructor(
		readonly method: string,
		readonly url: string,
		readonly status: number,
		readonly body: string,
	) {
		super(`${method} ${url} answered ${status}: ${body.slice(0, 1000)}`);
		this.name = 'N8nHttpError';
	}
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A port nobody listens on right now (the OS picks it; tiny race with other processes, acceptable). */
export async function getFreePort(): Promise<number> {
	return await new Promise((resolve, reject) => {
		const server = net.createServer();
		server.unref();
		server.on('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
		});
	});
}

async function isPortFree(port: number): Promise<boolean> {
	return await new Promise((resolve) => {
		const server = net.createServer();
		server.once('error', () => resolve(false));
		server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
	});
}

/**
 * Installs a packed tarball into `<userFolder>/.n8n/nodes`, as a user does by hand (n8n loads every
 * package in nodes/node_modules at start). Replaces any earlier install of the same package so code
 * changes show. Offline: our package has no runtime dependencies, and `--legacy-peer-deps` keeps npm
 * from fetching the `n8n-workflow` peer (n8n provides it; n8n's own installer drops peers too).
 */
export function installPackageIntoUserFolder(userFolder: string, tarball: string, packageName = PACKAGE_NAME): void {
	const nodesDir = path.join(userFolder, '.n8n', 'nodes');
	fs.mkdirSync(nodesDir, { recursive: true });
	const manifest = path.join(nodesDir, 'package.json');
	if (!fs.existsSync(manifest)) {
		fs.writeFileSync(manifest, `${JSON.stringify({ name: 'installed-nodes', private: true, dependencies: {} }, null, 2)}\n`);
	}
	// A re-pack with the same version would otherwise be skipped as "already installed".
	fs.rmSync(path.join(nodesDir, 'node_modules', packageName), { recursive: true, force: true });
	const result = spawnSync(
		'npm',
		['install', tarball, '--offline', '--ignore-scripts', '--legacy-peer-deps', '--no-audit', '--no-fund', '--loglevel=error'],
		{ cwd: nodesDir, encoding: 'utf8' },
	);
	if (result.status !== 0) {
		throw new Error(`npm install ${tarball} in ${nodesDir} failed (exit ${result.status}):\n${result.stderr}`.slice(-4000));
	}
	if (!fs.existsSync(path.join(nodesDir, 'node_modules', packageName, 'package.json'))) {
		throw new Error(`npm install ${tarball} reported success but ${packageName} is not in ${nodesDir}/node_modules`);
	}
}

/** Copies a fixture, replacing `%%KEY%%` tokens inside string values (e.g. `%%CREDENTIAL_ID%%`). */
export function fillFixture<T>(fixture: T, values: Record<string, string>): T {
	const fill = (value: unknown): unknown => {
		if (typeof value === 'string') {
			return value.replace(/%%([A-Z0-9_]+)%%/g, (token, key: string) => {
				if (!(key in values)) throw new Error(`fixture token ${token} has no value`);
				return values[key];
			});
		}
		if (Array.isArray(value)) return value.map(fill);
		if (value && typeof value === 'object') {
			return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, fill(inner)]));
		}
		return value;
	};
	return fill(fixture) as T;
}

export function loadFixture(name: string, values: Record<string, string> = {}): WorkflowFixture {
	const file = path.join(repoRoot, 'test', 'e2e', 'fixtures', name.endsWith('.json') ? name : `${name}.workflow.json`);
	return fillFixture(JSON.parse(fs.readFileSync(file, 'utf8')) as WorkflowFixture, values);
}

/** Output items of a node's last run in an execution (main output 0 unless told). */
export function nodeOutput(execution: N8nExecution, nodeName: string, outputIndex = 0): Array<Record<string, unknown>> {
	const runs = execution.data?.resultData.runData[nodeName];
	if (!runs || runs.length === 0) throw new Error(`node "${nodeName}" did not run in execution ${execution.id}`);
	const items = runs[runs.length - 1].data?.main?.[outputIndex] ?? [];
	return items.map((item) => item.json);
}

function baseEnvironment(): NodeJS.ProcessEnv {
	const env: NodeJS.ProcessEnv = {};
	for (const [key, value] of Object.entries(process.env)) {
		// Settings of the developer's own n8n (or of jest) must not leak into the instance under test.
		// NODE_ENV=test (set by jest) makes n8n 2.41 exit with code 1 and no output.
		if (/^(N8N_|DB_|EXECUTIONS_|QUEUE_|JEST_|WEBHOOK_URL$|GENERIC_TIMEZONE$|NODE_OPTIONS$|NODE_ENV$)/.test(key)) continue;
		env[key] = value;
	}
	return env;
}

export class N8nInstance {
	readonly baseUrl: string;
	/** Where n8n's stdout and stderr go. */
	readonly logFile: string;
	apiKey = '';
	private cookie = '';
	private output = '';
	private exited = false;
	private exitCode: number | null = null;
	private readonly exitWaiters: Array<(code: number | null) => void> = [];
	private stopping: Promise<void> | undefined;
	private readonly exitHook = () => this.onProcessExit();
	// n8n ties its auth cookie to this header; sending a constant one keeps every request consistent.
	private readonly browserId = `e2e-${randomBytes(8).toString('hex')}`;

	private constructor(
		readonly port: number,
		readonly brokerPort: number,
		readonly userFolder: string,
		readonly owner: N8nOwner,
		private removeFolderOnStop: boolean,
		private readonly child: ChildProcess,
		private readonly logStream: fs.WriteStream,
		private readonly log: (line: string) => void,
	) {
		this.baseUrl = `http://127.0.0.1:${port}`;
		this.logFile = logStream.path.toString();
		process.once('exit', this.exitHook);
	}

	/** Provisions n8n (cached), installs the package, starts n8n, waits until ready, sets up the owner. */
	static async start(options: StartN8nOptions = {}): Promise<N8nInstance> {
		const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
		const command = options.command ?? 'start';
		const { n8nDir, nodeBinary } = await provisionN8n(options.n8nVersion);
		const keep = options.keep ?? process.env.E2E_KEEP === '1';
		const port = options.port ?? (await getFreePort());
		let brokerPort = options.brokerPort ?? (await getFreePort());
		while (brokerPort === port) brokerPort = await getFreePort();
		if (!(await isPortFree(port))) {
			throw new Error(`port ${port} is already in use (another n8n?); stop that process or choose another port`);
		}
		const tarball = options.installPackage === false ? undefined : (options.tarball ?? packPackage());
		const userFolder = options.userFolder ?? fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-e2e-'));
		fs.mkdirSync(userFolder, { recursive: true });
		if (tarball) {
			log(`[n8n] installing ${path.basename(tarball)} into ${path.join(userFolder, '.n8n', 'nodes')}`);
			installPackageIntoUserFolder(userFolder, tarball, options.packageName);
		}

		const env: NodeJS.ProcessEnv = {
			...baseEnvironment(),
			// Child processes n8n spawns (its JS task runner) must also run on Node 24.
			PATH: `${path.dirname(nodeBinary)}${path.delimiter}${process.env.PATH ?? ''}`,
			N8N_USER_FOLDER: userFolder,
			N8N_PORT: String(port),
			N8N_LISTEN_ADDRESS: '127.0.0.1',
			N8N_HOST: '127.0.0.1',
			N8N_PROTOCOL: 'http',
			N8N_EDITOR_BASE_URL: `http://127.0.0.1:${port}/`,
			N8N_WEBHOOK_URL: `http://127.0.0.1:${port}/`,
			N8N_RUNNERS_BROKER_PORT: String(brokerPort),
			N8N_RUNNERS_BROKER_LISTEN_ADDRESS: '127.0.0.1',
			N8N_SECURE_COOKIE: 'false',
			// Quiet and offline: no telemetry, version checks, templates, banners or AI services.
			N8N_DIAGNOSTICS_ENABLED: 'false',
			N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
			N8N_VERSION_NOTIFICATIONS_WHATS_NEW_ENABLED: 'false',
			N8N_PERSONALIZATION_ENABLED: 'false',
			N8N_TEMPLATES_ENABLED: 'false',
			N8N_DYNAMIC_BANNERS_ENABLED: 'false',
			N8N_HIRING_BANNER_ENABLED: 'false',
			N8N_AI_ENABLED: 'false',
			// mcp-registry fetches a server list from api.n8n.io at start and logs a stack trace offline.
			N8N_DISABLED_MODULES: 'mcp-registry',
			// Community packages: loaded from .n8n/nodes; never reinstalled from the (unreachable) registry.
			N8N_COMMUNITY_PACKAGES_ENABLED: 'true',
			N8N_REINSTALL_MISSING_PACKAGES: 'false',
			N8N_UNVERIFIED_PACKAGES_ENABLED: 'true',
			N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'true',
			N8N_GRACEFUL_SHUTDOWN_TIMEOUT: '5',
			N8N_LOG_LEVEL: 'info',
			DB_TYPE: 'sqlite',
			GENERIC_TIMEZONE: 'UTC',
			TZ: 'UTC',
			NO_COLOR: '1',
			...options.env,
		};
		if (options.userFolder === undefined && !env.N8N_ENCRYPTION_KEY) {
			env.N8N_ENCRYPTION_KEY = randomBytes(24).toString('hex');
		}
		if (command === 'worker') {
			// A worker answers no HTTP but its health server, which is what readiness is polled on.
			env.QUEUE_HEALTH_CHECK_ACTIVE = 'true';
			env.QUEUE_HEALTH_CHECK_PORT = String(port);
			env.N8N_WORKER_SERVER_ADDRESS = '127.0.0.1';
		}

		const logFile = path.join(userFolder, 'n8n.log');
		// One log per start: logText() and the file then tell the same story.
		const logStream = fs.createWriteStream(logFile, { flags: 'w' });
		log(`[n8n] starting n8n${command === 'start' ? '' : ` ${command}`} on http://127.0.0.1:${port} (user folder ${userFolder}, log ${logFile})`);
		const child = spawn(nodeBinary, [path.join(n8nDir, 'node_modules', 'n8n', 'bin', 'n8n'), command, ...(options.args ?? [])], {
			cwd: userFolder,
			env,
			// Own process group: stop() kills n8n and its task runner together.
			detached: true,
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		const instance = new N8nInstance(
			port,
			brokerPort,
			userFolder,
			options.owner ?? DEFAULT_OWNER,
			options.userFolder === undefined && !keep,
			child,
			logStream,
			log,
		);
		const capture = (chunk: Buffer) => {
			instance.output += chunk.toString();
			logStream.write(chunk);
			if (options.echoOutput) process.stdout.write(chunk);
		};
		child.stdout?.on('data', capture);
		child.stderr?.on('data', capture);
		// 'close' (not 'exit'): fires after the last output arrived, so a failed start shows its log.
		child.on('close', (code) => {
			instance.exited = true;
			instance.exitCode = code;
			for (const resolve of instance.exitWaiters.splice(0)) resolve(code);
		});

		try {
			await instance.waitUntilReady(options.readinessTimeoutMs ?? 180_000);
			// n8n 1.x answers readiness once migrations ran, before its REST API is mounted.
			if (command === 'start' && options.n8nVersion?.startsWith('1.')) {
				await instance.waitUntilRestApiMounted(options.readinessTimeoutMs ?? 180_000);
			}
			// Only the main instance serves the REST API the owner is created through.
			if (options.setUpOwner ?? command === 'start') {
				await instance.setUpOwner();
				if (options.createApiKey !== false) await instance.createApiKey(options.apiKeyLabel);
			}
		} catch (error) {
			// The error quotes the log file: keep the folder it is in.
			instance.removeFolderOnStop = false;
			await instance.stop();
			throw error;
		}
		return instance;
	}

	/** Everything n8n printed so far. */
	logText(): string {
		return this.output;
	}

	get running(): boolean {
		return !this.exited;
	}

	/** Resolves with n8n's exit code once the process has ended (null when killed by a signal). */
	async waitForExit(): Promise<number | null> {
		if (this.exited) return this.exitCode;
		return await new Promise((resolve) => this.exitWaiters.push(resolve));
	}

	/** Process id of n8n, which also leads the process group of its task runner. */
	get pid(): number | undefined {
		return this.child.pid;
	}

	/** Production webhook URL for a Webhook node path (or `<webhookId>/<path>` for other triggers). */
	webhookUrl(webhookPath: string): string {
		return `${this.baseUrl}/webhook/${webhookPath.replace(/^\/+/, '')}`;
	}

	private async waitUntilReady(timeoutMs: number): Promise<void> {
		const deadline = Date.now() + timeoutMs;
		while (Date.now() < deadline) {
			if (this.exited) {
				throw new Error(`n8n exited with code ${this.exitCode} before it was ready. Log (${this.logFile}):\n${this.output.slice(-6000)}`);
			}
			try {
				const response = await fetch(`${this.baseUrl}/healthz/readiness`);
				if (response.status === 200) return;
			} catch {
				// Not listening yet.
			}
			await sleep(300);
		}
		throw new Error(`n8n was not ready within ${timeoutMs} ms. Log (${this.logFile}):\n${this.output.slice(-6000)}`);
	}

	private async waitUntilRestApiMounted(timeoutMs: number): Promise<void> {
		const deadline = Date.now() + timeoutMs;
		while (Date.now() < deadline) {
			if (this.exited) {
				throw new Error(`n8n exited with code ${this.exitCode} before its REST API was up. Log (${this.logFile}):\n${this.output.slice(-6000)}`);
			}
			try {
				// Public (the login page reads it); answers 404 until the REST routes exist.
				if ((await fetch(`${this.baseUrl}/rest/settings`)).status === 200) return;
			} catch {
				// Restarting listener.
			}
			await sleep(300);
		}
		throw new Error(`n8n's REST API was not up within ${timeoutMs} ms. Log (${this.logFile}):\n${this.output.slice(-6000)}`);
	}

	private async request<T>(
		method: string,
		urlPath: string,
		options: { body?: unknown; auth: 'cookie' | 'apiKey' | 'none'; headers?: Record<string, string> },
	): Promise<{ status: number; body: T; response: Response }> {
		const headers: Record<string, string> = { accept: 'application/json', 'browser-id': this.browserId, ...options.headers };
		if (options.body !== undefined) headers['content-type'] = 'application/json';
		if (options.auth === 'cookie') headers.cookie = this.cookie;
		if (options.auth === 'apiKey') headers['x-n8n-api-key'] = this.apiKey;
		const url = `${this.baseUrl}${urlPath}`;
		const response = await fetch(url, {
			method,
			headers,
			body: options.body === undefined ? undefined : JSON.stringify(options.body),
		});
		const text = await response.text();
		if (!response.ok) throw new N8nHttpError(method, url, response.status, text);
		let body: unknown = text;
		try {
			body = text ? JSON.parse(text) : undefined;
		} catch {
			// Not JSON: keep the text.
		}
		return { status: response.status, body: body as T, response };
	}

	/** Internal REST API (what the editor uses), as the logged-in owner. Unwraps `{ data }`. */
	async rest<T = unknown>(method: string, urlPath: string, body?: unknown): Promise<T> {
		const result = await this.request<{ data: T }>(method, `/rest${urlPath}`, { body, auth: 'cookie' });
		return result.body?.data;
	}

	/** Public API v1 with the API key. */
	async publicApi<T = unknown>(method: string, urlPath: string, body?: unknown): Promise<T> {
		return (await this.request<T>(method, `/api/v1${urlPath}`, { body, auth: 'apiKey' })).body;
	}

	private rememberCookie(response: Response): void {
		const authCookie = response.headers.getSetCookie().find((cookie) => cookie.startsWith('n8n-auth='));
		if (!authCookie) throw new Error('n8n answered without an n8n-auth cookie');
		this.cookie = authCookie.split(';')[0];
	}

	/** Creates the owner on a fresh instance; logs in as that owner either way. */
	private async setUpOwner(): Promise<void> {
		try {
			const setup = await this.request('POST', '/rest/owner/setup', { body: this.owner, auth: 'none' });
			this.rememberCookie(setup.response);
			this.log(`[n8n] owner ${this.owner.email} created`);
		} catch (error) {
			// A persistent folder already has its owner: fall through to the login.
			if (!(error instanceof N8nHttpError) || error.status !== 400) throw error;
		}
		await this.login();
	}

	async login(): Promise<void> {
		try {
			const login = await this.request('POST', '/rest/login', {
				body: { emailOrLdapLoginId: this.owner.email, password: this.owner.password },
				auth: 'none',
			});
			this.rememberCookie(login.response);
		} catch (error) {
			if (error instanceof N8nHttpError && error.status === 401) {
				throw new Error(
					`cannot log in as ${this.owner.email} in ${this.userFolder}: this folder's owner has another ` +
						'email or password. Use another user folder, or delete this one to start afresh.',
				);
			}
			throw error;
		}
	}

	/** Creates an API key with every scope the owner may grant (label reused: older keys are removed). */
	async createApiKey(label = 'e2e'): Promise<string> {
		type ApiKeyRow = { id: string; label: string };
		// n8n 2.41 answers { items, counts, ... }; older versions answered the bare array.
		const listed = await this.rest<ApiKeyRow[] | { items: ApiKeyRow[] }>('GET', '/api-keys');
		const existing = Array.isArray(listed) ? listed : (listed?.items ?? []);
		for (const key of existing.filter((candidate) => candidate.label === label)) {
			await this.rest('DELETE', `/api-keys/${key.id}`);
		}
		const scopes = await this.rest<string[]>('GET', '/api-keys/scopes');
		const created = await this.rest<{ rawApiKey: string }>('POST', '/api-keys', { label, scopes, expiresAt: null });
		if (!created?.rawApiKey) throw new Error('POST /rest/api-keys returned no rawApiKey');
		this.apiKey = created.rawApiKey;
		return this.apiKey;
	}

	/** Node types the editor sees (needs the cookie). */
	async nodeTypes(): Promise<Array<{ name: string; displayName: string; version: number | number[]; [key: string]: unknown }>> {
		return (await this.request<Array<{ name: string; displayName: string; version: number | number[] }>>('GET', '/types/nodes.json', { auth: 'cookie' })).body;
	}

	async credentialTypes(): Promise<Array<{ name: string; displayName: string; [key: string]: unknown }>> {
		return (await this.request<Array<{ name: string; displayName: string }>>('GET', '/types/credentials.json', { auth: 'cookie' })).body;
	}

	/** Public API: POST /credentials. The answer never contains the secret data. */
	async createCredential(credential: CredentialInput): Promise<CreatedCredential> {
		return await this.publicApi<CreatedCredential>('POST', '/credentials', credential);
	}

	/**
	 * The editor's "Test" button: POST /rest/credentials/test with the stored credential's id and the
	 * data to test (n8n merges it with what it stored). Answers `{status:'OK'|'Error', message}`.
	 */
	async testCredential(credential: CreatedCredential & { data: Record<string, unknown> }): Promise<CredentialTestResult> {
		return await this.rest<CredentialTestResult>('POST', '/credentials/test', {
			credentials: { id: credential.id, name: credential.name, type: credential.type, data: credential.data },
		});
	}

	/** Public API: POST /workflows (keeps only the keys the public API accepts). */
	async createWorkflow(fixture: WorkflowFixture): Promise<CreatedWorkflow> {
		return await this.publicApi<CreatedWorkflow>('POST', '/workflows', {
			name: fixture.name,
			nodes: fixture.nodes,
			connections: fixture.connections,
			settings: fixture.settings ?? { executionOrder: 'v1' },
		});
	}

	/** Public API: activate (its webhooks then answer; callWebhook retries the brief 404 right after). */
	async activateWorkflow(workflowId: string): Promise<CreatedWorkflow> {
		return await this.publicApi<CreatedWorkflow>('POST', `/workflows/${workflowId}/activate`);
	}

	async deactivateWorkflow(workflowId: string): Promise<CreatedWorkflow> {
		return await this.publicApi<CreatedWorkflow>('POST', `/workflows/${workflowId}/deactivate`);
	}

	/** Creates and activates a workflow in one step. */
	async deployWorkflow(fixture: WorkflowFixture): Promise<CreatedWorkflow> {
		const created = await this.createWorkflow(fixture);
		return await this.activateWorkflow(created.id);
	}

	/**
	 * Calls a production webhook. Retries while n8n still answers 404 "not registered", which happens
	 * for about a second after activation.
	 */
	async callWebhook(
		webhookPath: string,
		body?: unknown,
		options: { method?: string; headers?: Record<string, string>; notRegisteredRetryMs?: number } = {},
	): Promise<WebhookResponse> {
		const method = options.method ?? 'POST';
		const deadline = Date.now() + (options.notRegisteredRetryMs ?? 10_000);
		for (;;) {
			const response = await fetch(this.webhookUrl(webhookPath), {
				method,
				headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
				body: body === undefined ? undefined : JSON.stringify(body),
			});
			const text = await response.text();
			if (response.status === 404 && /not registered/i.test(text) && Date.now() < deadline) {
				await sleep(250);
				continue;
			}
			let parsed: unknown = text;
			try {
				parsed = text ? JSON.parse(text) : undefined;
			} catch {
				// Not JSON: keep the text.
			}
			return { status: response.status, headers: response.headers, body: parsed };
		}
	}

	/**
	 * Public API executions list, newest first. Running executions are not listed by n8n; waiting
	 * ones are (status 'waiting').
	 */
	async listExecutions(filter: { workflowId?: string; status?: string; includeData?: boolean; limit?: number } = {}): Promise<N8nExecution[]> {
		const query = new URLSearchParams();
		if (filter.workflowId) query.set('workflowId', filter.workflowId);
		if (filter.status) query.set('status', filter.status);
		if (filter.includeData) query.set('includeData', 'true');
		query.set('limit', String(filter.limit ?? 100));
		const result = await this.publicApi<{ data: N8nExecution[] }>('GET', `/executions?${query.toString()}`);
		return result.data;
	}

	async getExecution(executionId: string, includeData = true): Promise<N8nExecution> {
		return await this.publicApi<N8nExecution>('GET', `/executions/${executionId}?includeData=${includeData}`);
	}

	/** Polls the executions list until one matches; returns it with its data. */
	async waitForExecution(
		predicate: (execution: N8nExecution) => boolean,
		options: { workflowId?: string; timeoutMs?: number; intervalMs?: number } = {},
	): Promise<N8nExecution> {
		const deadline = Date.now() + (options.timeoutMs ?? 30_000);
		let seen: N8nExecution[] = [];
		while (Date.now() < deadline) {
			seen = await this.listExecutions({ workflowId: options.workflowId, includeData: true });
			const match = seen.find(predicate);
			if (match) return match;
			await sleep(options.intervalMs ?? 500);
		}
		const summary = seen.map((execution) => `${execution.id}:${execution.status}`).join(', ') || 'none';
		throw new Error(`no matching execution within ${options.timeoutMs ?? 30_000} ms (workflow ${options.workflowId ?? 'any'}; seen ${summary})`);
	}

	/**
	 * Runs a workflow as the editor's "Execute workflow" button does: internal REST
	 * `POST /rest/workflows/:id/run` with `{ triggerToStartFrom: { name } }` and the login cookie
	 * (the public API cannot start a Manual Trigger). Returns the execution id at once; the run
	 * continues in the background (find it with waitForExecution / getExecution).
	 */
	async runManually(workflowId: string, triggerNodeName: string): Promise<string> {
		const result = await this.rest<{ executionId?: string; waitingForWebhook?: boolean }>('POST', `/workflows/${workflowId}/run`, {
			triggerToStartFrom: { name: triggerNodeName },
		});
		if (!result?.executionId) {
			throw new Error(`n8n did not start workflow ${workflowId} from "${triggerNodeName}": ${JSON.stringify(result)}`);
		}
		return result.executionId;
	}

	/** Waits until an execution has finished (status other than new/running/waiting) and returns it. */
	async waitForExecutionToFinish(executionId: string, timeoutMs = 60_000): Promise<N8nExecution> {
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			try {
				const execution = await this.getExecution(executionId, true);
				if (!['new', 'running', 'waiting'].includes(execution.status)) return execution;
			} catch (error) {
				// A running execution may not be readable yet.
				if (!(error instanceof N8nHttpError) || error.status !== 404) throw error;
			}
			if (Date.now() > deadline) throw new Error(`execution ${executionId} did not finish within ${timeoutMs} ms`);
			await sleep(500);
		}
	}

	/**
	 * What n8n's log says went wrong loading a package (empty when it loaded cleanly). n8n 2.41 logs
	 * `Failed to load package "<name>"` and the error message on the next line; stack lines name the
	 * package's folder.
	 */
	packageLoadErrors(packageName = PACKAGE_NAME): string[] {
		const lines = this.output.split('\n');
		const problems: string[] = [];
		lines.forEach((line, index) => {
			if (line.includes(`Failed to load package "${packageName}"`)) {
				problems.push(`${line.trim()}: ${(lines[index + 1] ?? '').trim()}`);
			} else if (/error|failed|cannot/i.test(line) && line.includes(packageName)) {
				problems.push(line.trim());
			}
		});
		return problems;
	}

	private killNow(): void {
		if (this.child.pid === undefined) return;
		try {
			process.kill(-this.child.pid, 'SIGKILL');
		} catch {
			// Already gone.
		}
	}

	/** Last resort when this process exits without stop() (a crashed or interrupted test run). */
	private onProcessExit(): void {
		this.killNow();
		if (this.removeFolderOnStop) fs.rmSync(this.userFolder, { recursive: true, force: true });
	}

	/**
	 * Stops n8n and its task runner (SIGTERM to the process group, SIGKILL after 15 s); removes a temp
	 * user folder. Calling it again waits for the first call.
	 */
	stop(): Promise<void> {
		this.stopping ??= this.stopOnce();
		return this.stopping;
	}

	private async stopOnce(): Promise<void> {
		process.removeListener('exit', this.exitHook);
		if (!this.exited && this.child.pid !== undefined) {
			const exitedPromise = new Promise<void>((resolve) => this.child.once('close', () => resolve()));
			try {
				process.kill(-this.child.pid, 'SIGTERM');
			} catch {
				// Already gone.
			}
			let timer: NodeJS.Timeout | undefined;
			const timedOut = await Promise.race([
				exitedPromise.then(() => false),
				new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), 15_000))),
			]);
			clearTimeout(timer);
			if (timedOut) this.killNow();
			// The task runner shares the group; make sure nothing of it survives.
			try {
				process.kill(-this.child.pid, 'SIGKILL');
			} catch {
				// Group already empty.
			}
		}
		await new Promise<void>((resolve) => this.logStream.end(() => resolve()));
		if (this.removeFolderOnStop) {
			fs.rmSync(this.userFolder, { recursive: true, force: true });
		} else {
			this.log(`[n8n] kept user folder ${this.userFolder} (log: ${this.logFile})`);
		}
	}
}

/** Shorthand for N8nInstance.start. */
export async function startN8n(options: StartN8nOptions = {}): Promise<N8nInstance> {
	return await N8nInstance.start(options);
}
