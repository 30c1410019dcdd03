/* eslint-disable @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/require-node-api-error -- runs in Node (tests, dev tools), never inside n8n; not published; see scripts/lint-headers.mjs */
/**
 * n8n in queue mode ("scaling mode"), as users run it at scale: one main instance (editor, REST and
 * public API, triggers), workers (`n8n worker`) that run the executions taken from a Redis queue, and
 * a webhook process (`n8n webhook`) that answers webhooks; all share one PostgreSQL database, one
 * encryption key and database-mode binary data. A round-robin load balancer stands in front, and
 * WEBHOOK_URL points at it on every process, as in a real deployment. Every process has this package
 * installed from the same tarball. Nothing here depends on jest.
 */
import { randomBytes } from 'crypto';

import { LoadBalancer, type Upstream, type WebhookRoutingPolicy } from './loadBalancer';
import { DEFAULT_OWNER, getFreePort, N8nInstance, type WebhookResponse } from './n8nInstance';
import { isN8n1x, n8nEnvironmentFor } from './n8nVersions';
import { packPackage } from './packageUnderTest';
import { PostgresServer, RedisServer } from './queueServices';

export interface QueueClusterOptions {
	/** How many `n8n worker` processes (default 2). */
	workers?: number;
	/** Start an `n8n webhook` process (default true). */
	webhookProcess?: boolean;
	/** Extra environment for every process. */
	env?: Record<string, string>;
	/** n8n version of every process (default: the pinned 2.41.1; see n8nVersions.ts). */
	n8nVersion?: string;
	/** Concurrency of each worker (`n8n worker --concurrency`). Default 5. */
	workerConcurrency?: number;
	log?: (line: string) => void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class QueueCluster {
	private cookie = '';
	// n8n ties its auth cookie to this header.
	private readonly browserId = `e2e-queue-${randomBytes(8).toString('hex')}`;

	private constructor(
		readonly redis: RedisServer,
		readonly postgres: PostgresServer,
		readonly balancer: LoadBalancer,
		private readonly upstreams: { main: Upstream; webhook?: Upstream },
		readonly main: N8nInstance,
		readonly workers: N8nInstance[],
		readonly webhook: N8nInstance | undefined,
		readonly encryptionKey: string,
	) {}

	/** What users and the API see: the load balancer's address (the WEBHOOK_URL of every process). */
	get publicUrl(): string {
		return this.balancer.url;
	}

	/** Production webhook URL through the load balancer. */
	webhookUrl(webhookPath: string): string {
		return `${this.balancer.url}/webhook/${webhookPath.replace(/^\/+/, '')}`;
	}

	/** Every n8n process with a name for messages. */
	processes(): Array<{ name: string; instance: N8nInstance }> {
		return [
			{ name: 'main', instance: this.main },
			...this.workers.map((instance, index) => ({ name: `worker-${index + 1}`, instance })),
			...(this.webhook ? [{ name: 'webhook', instance: this.webhook }] : []),
		];
	}

	static async start(options: QueueClusterOptions = {}): Promise<QueueCluster> {
		const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
		const workerCount = options.workers ?? 2;
		const withWebhookProcess = options.webhookProcess ?? true;

		const [redisStart, postgresStart] = await Promise.allSettled([RedisServer.start(), PostgresServer.start()]);
		if (redisStart.status === 'rejected' || postgresStart.status === 'rejected') {
			// Stop whichever did start before reporting the one that did not.
			if (redisStart.status === 'fulfilled') await redisStart.value.stop();
			if (postgresStart.status === 'fulfilled') await postgresStart.value.stop();
			throw redisStart.status === 'rejected' ? redisStart.reason : (postgresStart as PromiseRejectedResult).reason;
		}
		const redis = redisStart.value;
		const postgres = postgresStart.value;
		const started: N8nInstance[] = [];
		let balancer: LoadBalancer | undefined;
		try {
			const tarball = packPackage();
			const encryptionKey = randomBytes(24).toString('hex');
			const mainPort = await getFreePort();
			let webhookPort = await getFreePort();
			while (webhookPort === mainPort) webhookPort = await getFreePort();
			const mainUpstream = { name: 'main', url: `http://127.0.0.1:${mainPort}` };
			const webhookUpstream = { name: 'webhook', url: `http://127.0.0.1:${webhookPort}` };
			// n8n's documented layout: webhooks to the webhook process(es), the rest to main.
			balancer = await LoadBalancer.start(mainUpstream, [withWebhookProcess ? webhookUpstream : mainUpstream]);
			log(`[queue] load balancer ${balancer.url} (webhooks -> ${withWebhookProcess ? 'webhook process' : 'main'})`);

			const shared: Record<string, string> = {
				EXECUTIONS_MODE: 'queue',
				QUEUE_BULL_REDIS_HOST: '127.0.0.1',
				QUEUE_BULL_REDIS_PORT: String(redis.port),
				...postgres.n8nEnvironment(),
				// Every process must decrypt the same credentials.
				N8N_ENCRYPTION_KEY: encryptionKey,
				// Files written by a worker are read by the main instance and the webhook process: they
				// must live in the shared database (n8n 2.x's default in queue mode, set explicitly here).
				// n8n 1.x's database mode is experimental (off unless listed in N8N_AVAILABLE_BINARY_DATA_MODES):
				// there the files travel inside the execution data ('default'), as 1.x queue setups do without S3.
				N8N_DEFAULT_BINARY_DATA_MODE: isN8n1x(options.n8nVersion) ? 'default' : 'database',
				// Resume URLs are built by the worker that runs the node: it needs the public address too.
				WEBHOOK_URL: `${balancer.url}/`,
				N8N_WEBHOOK_URL: `${balancer.url}/`,
				OFFLOAD_MANUAL_EXECUTIONS_TO_WORKERS: 'true',
				...n8nEnvironmentFor(options.n8nVersion),
				...options.env,
			};

			// The main instance first: it runs the database migrations the others wait for.
			const n8nVersion = options.n8nVersion;
			const main = await N8nInstance.start({ port: mainPort, tarball, env: shared, log, apiKeyLabel: 'e2e-queue', n8nVersion });
			started.push(main);
			const others = await Promise.allSettled([
				...Array.from({ length: workerCount }, () =>
					N8nInstance.start({
						command: 'worker',
						args: [`--concurrency=${options.workerConcurrency ?? 5}`],
						tarball,
						env: shared,
						log,
						n8nVersion,
					}),
				),
				...(withWebhookProcess ? [N8nInstance.start({ command: 'webhook', port: webhookPort, tarball, env: shared, log, n8nVersion })] : []),
			]);
			for (const result of others) if (result.status === 'fulfilled') started.push(result.value);
			const failure = others.find((result): result is PromiseRejectedResult => result.status === 'rejected');
			if (failure) throw failure.reason;
			const workers = started.slice(1, 1 + workerCount);
			const webhook = withWebhookProcess ? started[1 + workerCount] : undefined;
			const upstreams = { main: mainUpstream, webhook: withWebhookProcess ? webhookUpstream : undefined };
			const cluster = new QueueCluster(redis, postgres, balancer, upstreams, main, workers, webhook, encryptionKey);
			await cluster.login();
			return cluster;
		} catch (error) {
			await Promise.allSettled(started.map(async (instance) => await instance.stop()));
			await balancer?.close();
			await Promise.allSettled([redis.stop(), postgres.stop()]);
			throw error;
		}
	}

	/**
	 * Where the load balancer sends webhook traffic from now on: the processes named ('webhook',
	 * 'main'; n8n's main instance serves production webhooks too), by round-robin or by URI hash.
	 */
	routeWebhooks(to: Array<'webhook' | 'main'>, policy: WebhookRoutingPolicy = 'round-robin'): void {
		this.balancer.routeWebhooks(
			to.map((name) => {
				const upstream = this.upstreams[name];
				if (!upstream) throw new Error(`no ${name} process in this cluster`);
				return upstream;
			}),
			policy,
		);
	}

	/** Logs in to the main instance (for the editor's endpoints the public API lacks, like file contents). */
	private async login(): Promise<void> {
		const response = await fetch(`${this.main.baseUrl}/rest/login`, {
			method: 'POST',
			headers: { 'content-type': 'application/json', 'browser-id': this.browserId },
			body: JSON.stringify({ emailOrLdapLoginId: DEFAULT_OWNER.email, password: DEFAULT_OWNER.password }),
		});
		if (!response.ok) throw new Error(`login to the main instance answered ${response.status}: ${await response.text()}`);
		const cookie = response.headers.getSetCookie().find((candidate) => candidate.startsWith('n8n-auth='));
		if (!cookie) throw new Error('the main instance answered the login without an n8n-auth cookie');
		this.cookie = cookie.split(';')[0];
	}

	/**
	 * A stored file's bytes, read through the main instance (the editor's download endpoint,
	 * GET /rest/binary-data?id=…&action=download) by its binary data id from an execution.
	 */
	async readBinaryData(binaryDataId: string): Promise<{ status: number; bytes: Buffer; contentType: string | null }> {
		const query = new URLSearchParams({ id: binaryDataId, action: 'download' });
		const response = await fetch(`${this.main.baseUrl}/rest/binary-data?${query.toString()}`, {
			headers: { cookie: this.cookie, 'browser-id': this.browserId },
		});
		return {
			status: response.status,
			bytes: Buffer.from(await response.arrayBuffer()),
			contentType: response.headers.get('content-type'),
		};
	}

	/**
	 * Calls a production webhook through the load balancer, retrying n8n's brief 404 "not registered"
	 * after activation (each process learns of the activation on its own).
	 */
	async callWebhook(webhookPath: string, body?: unknown, options: { notRegisteredRetryMs?: number } = {}): Promise<WebhookResponse & { bytes: Buffer }> {
		const deadline = Date.now() + (options.notRegisteredRetryMs ?? 15_000);
		for (;;) {
			const response = await fetch(this.webhookUrl(webhookPath), {
				method: 'POST',
				headers: body === undefined ? {} : { 'content-type': 'application/json' },
				body: body === undefined ? undefined : JSON.stringify(body),
			});
			const bytes = Buffer.from(await response.arrayBuffer());
			const text = bytes.toString('utf8');
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
			return { status: response.status, headers: response.headers, body: parsed, bytes };
		}
	}

	/**
	 * Names of the processes whose log says they ran this execution ("Worker started execution <id>"
	 * is what `n8n worker` logs for each job it takes, first run and resumptions alike).
	 */
	processesThatRan(executionId: string): string[] {
		const marker = new RegExp(`Worker started execution ${executionId}\\b`, 'g');
		const names: string[] = [];
		for (const { name, instance } of this.processes()) {
			const runs = instance.logText().match(marker)?.length ?? 0;
			for (let run = 0; run < runs; run++) names.push(name);
		}
		return names;
	}

	/** Stops every process, then the balancer, Redis and PostgreSQL (temp folders removed). */
	async stop(): Promise<void> {
		await Promise.allSettled(this.processes().map(async ({ instance }) => await instance.stop()));
		await this.balancer.close();
		await Promise.allSettled([this.redis.stop(), this.postgres.stop()]);
	}
}
